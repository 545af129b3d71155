# NSK Registry's public pages, in English. Every message exists in kk.ftl, ru.ftl and en.ftl
# (a test holds the three to the same set of ids).

site-name = NSK Registry
site-tagline = The national qualifications system of Kazakhstan
skip-to-content = Skip to the content
nav-label = Registers
nav-verify = Verify a document
nav-professions = Professions
nav-standards = Professional standards
nav-centers = Recognition centers
nav-offers = Centers' offers
nav-cancelled = Cancelled documents
language-label = Language
footer-text = Data of the registers kept under the Law "On professional qualifications". The API and its description: { $api }.

verify-title = Verify a document
verify-intro = Enter the serial number printed on the document, or scan its QR code.
verify-label = Serial number
verify-hint = Six groups separated by hyphens, e.g. 25110-72120001-4-201126-0042-00000017
verify-submit = Verify
verify-bad-serial = This is not a serial number of a document: { $rule }.
status-valid = Valid
status-valid-detail = The document is in the registry and valid until { $until }.
status-expired = Expired
status-expired-detail = The document is in the registry; its validity ended on { $until }.
status-cancelled = Cancelled
status-cancelled-detail = The document was cancelled on { $date }. It is not valid.
status-unknown = Not in the registry
status-unknown-detail = No document with the serial number { $serial } is in the registry. Check the number; a document the registry does not hold is not confirmed.
status-unavailable = Could not check
status-unavailable-detail = The registry could not be reached just now. This says nothing about the document: it is neither confirmed nor refuted. Try again in a few minutes.
field-serial = Serial number
field-holder = Holder
field-profession = Profession
field-level = Qualification level (NQF)
field-skills = Skills recognised separately
field-center = Recognition center
field-procedure-date = Date of the recognition procedure
field-issue-date = Date of issue
field-valid-until = Valid until
field-cancel-reason = Reason
field-cancel-basis = Basis
field-replaced-by = Replaced by
basis-text = No. { $number } of { $date }

professions-title = Register of professions
professions-intro = Professions for which qualifications are recognised, with their levels and the validity of documents (Art. 5.6, 21.5).
filter-name = Name contains
filter-level = NQF level
filter-any = any
filter-status = Status
filter-as-of = As it stood on
filter-submit = Search
professions-count = { $count ->
    [one] { $count } profession found
   *[other] { $count } professions found
}
more-professions-count = More than { $count } professions found
col-nkz = NKZ code
col-oked = OKED
col-name = Name
col-levels = Levels
col-validity = Documents valid
col-status = Status
months = { $count ->
    [one] { $count } month
   *[other] { $count } months
}
profession-status-active = in the register
profession-status-excluded = excluded
page-next = Next page
page-first = First page
nothing-found = Nothing found.

standards-title = Professional standards
standards-intro = Approved professional standards and their versions (Art. 5.5).
col-title = Title
col-sector = Sector
col-codes = NKZ codes
standard-status-approved = approved
standard-status-superseded = superseded
standard-status-other = in approval

centers-title = Recognition centers
centers-intro = Accredited recognition centers, their scope and certificates (Art. 23-26).
filter-not-renewable = Only centers not subject to renewal (Art. 26.5)
col-number = Number
col-scope = Scope
col-certificate = Certificate
center-status-active = active
center-status-revoked = revoked
center-status-terminated = terminated
center-status-expired = expired
center-status-replaced = replaced
center-not-renewable = not subject to renewal
certificate-valid = { $from } – { $until }

offers-title = Centers' offers
offers-intro = Who recognises which profession at which level, where, at what price, in which language, and how soon (Art. 17.2.1, 17.2.7).
filter-profession = Profession
filter-region = Region
filter-language = Language
filter-max-price = Price up to, tenge
col-price = Price
col-languages = Languages
col-modes = Form
col-region = Region
col-earliest = Earliest day
price-tenge = { $amount } ₸
language-kk = Kazakh
language-ru = Russian
mode-offline = in person
mode-online = online

cancelled-title = Cancelled documents
cancelled-intro = Documents cancelled in the registry, with the date, the reason and the basis (Art. 26.2).
filter-from = Cancelled from
filter-to = to
col-cancelled-on = Cancelled on

error-title = Something went wrong
error-bad-request = The request cannot be understood: { $detail }
error-not-found = There is no such page.
error-unavailable = The register could not be reached just now. Try again in a few minutes.

region-abai = Abai Region
region-akmola = Akmola Region
region-aktobe = Aktobe Region
region-almaty-region = Almaty Region
region-atyrau = Atyrau Region
region-east-kazakhstan = East Kazakhstan Region
region-jambyl = Jambyl Region
region-jetisu = Jetisu Region
region-west-kazakhstan = West Kazakhstan Region
region-karaganda = Karaganda Region
region-kostanay = Kostanay Region
region-kyzylorda = Kyzylorda Region
region-mangystau = Mangystau Region
region-pavlodar = Pavlodar Region
region-north-kazakhstan = North Kazakhstan Region
region-turkistan = Turkistan Region
region-ulytau = Ulytau Region
region-astana = Astana
region-almaty = Almaty
region-shymkent = Shymkent
