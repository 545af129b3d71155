# ҰБЖ тізілімінің жария беттері, қазақ тілінде.

site-name = ҰБЖ тізілімі
site-tagline = Қазақстан Республикасының ұлттық біліктілік жүйесі
skip-to-content = Мазмұнға өту
nav-label = Тізілімдер
nav-verify = Құжатты тексеру
nav-professions = Кәсіптер
nav-standards = Кәсіптік стандарттар
nav-centers = Тану орталықтары
nav-offers = Орталықтардың ұсыныстары
nav-cancelled = Күші жойылған құжаттар
language-label = Тіл
footer-text = «Кәсіптік біліктіліктер туралы» Заңға сәйкес жүргізілетін тізілімдердің деректері. API және оның сипаттамасы: { $api }.

verify-title = Құжатты тексеру
verify-intro = Құжатта басылған сериялық нөмірді енгізіңіз немесе оның QR-кодын сканерлеңіз.
verify-label = Сериялық нөмір
verify-hint = Сызықшамен бөлінген алты топ, мысалы 25110-72120001-4-201126-0042-00000017
verify-submit = Тексеру
verify-bad-serial = Бұл құжаттың сериялық нөмірі емес: { $rule }.
status-valid = Жарамды
status-valid-detail = Құжат тізілімде бар және { $until } дейін жарамды.
status-expired = Мерзімі өтті
status-expired-detail = Құжат тізілімде бар; оның қолданылу мерзімі { $until } аяқталды.
status-cancelled = Күші жойылды
status-cancelled-detail = Құжаттың күші { $date } жойылды. Ол жарамсыз.
status-unknown = Тізілімде жоқ
status-unknown-detail = { $serial } сериялық нөмірлі құжат тізілімде жоқ. Нөмірді тексеріңіз; тізілімде жоқ құжат расталмаған.
status-unavailable = Тексеру мүмкін болмады
status-unavailable-detail = Тізілім қазір қолжетімсіз. Бұл құжат туралы ештеңе айтпайды: ол расталмады да, жоққа шығарылмады да. Бірнеше минуттан кейін қайталаңыз.
field-serial = Сериялық нөмір
field-holder = Иесі
field-profession = Кәсіп
field-level = Біліктілік деңгейі (ҰБШ)
field-skills = Жеке танылған дағдылар
field-center = Тану орталығы
field-procedure-date = Тану рәсімінің күні
field-issue-date = Берілген күні
field-valid-until = Жарамдылық мерзімі
field-cancel-reason = Себебі
field-cancel-basis = Негізі
field-replaced-by = Ауыстырған құжат
basis-text = { $date } № { $number }

professions-title = Кәсіптер тізілімі
professions-intro = Біліктілігі танылатын кәсіптер, олардың деңгейлері және құжаттардың қолданылу мерзімі (5.6, 21.5-баптар).
filter-name = Атауында бар
filter-level = ҰБШ деңгейі
filter-any = кез келген
filter-status = Мәртебесі
filter-as-of = Күйі бойынша
filter-submit = Іздеу
professions-count = { $count ->
    [one] { $count } кәсіп табылды
   *[other] { $count } кәсіп табылды
}
more-professions-count = { $count }-нан астам кәсіп табылды
col-nkz = ҰКЖ коды
col-oked = ЭҚЖЖ
col-name = Атауы
col-levels = Деңгейлер
col-validity = Құжаттардың мерзімі
col-status = Мәртебесі
months = { $count ->
    [one] { $count } ай
   *[other] { $count } ай
}
profession-status-active = тізілімде
profession-status-excluded = алынып тасталды
page-next = Келесі бет
page-first = Бірінші бет
nothing-found = Ештеңе табылмады.

standards-title = Кәсіптік стандарттар
standards-intro = Бекітілген кәсіптік стандарттар және олардың нұсқалары (5.5-бап).
col-title = Атауы
col-sector = Сала
col-codes = ҰКЖ кодтары
standard-status-approved = бекітілген
standard-status-superseded = жаңа нұсқамен ауыстырылды
standard-status-other = келісуде

centers-title = Тану орталықтары
centers-intro = Аккредиттелген тану орталықтары, олардың аккредиттеу саласы және куәліктері (23-26-баптар).
filter-not-renewable = Қайта аккредиттеуге жатпайтын орталықтар ғана (26.5-бап)
col-number = Нөмірі
col-scope = Аккредиттеу саласы
col-certificate = Куәлік
center-status-active = қолданыста
center-status-revoked = кері қайтарылды
center-status-terminated = тоқтатылды
center-status-expired = мерзімі өтті
center-status-replaced = ауыстырылды
center-not-renewable = қайта аккредиттеуге жатпайды
certificate-valid = { $from } – { $until }

offers-title = Орталықтардың ұсыныстары
offers-intro = Қай орталық қай кәсіпті қай деңгейде, қайда, қандай бағамен, қай тілде және қаншалықты тез таниды (17.2.1, 17.2.7-баптар).
filter-profession = Кәсіп
filter-region = Өңір
filter-language = Тіл
filter-max-price = Бағасы, теңгеге дейін
col-price = Бағасы
col-languages = Тілдер
col-modes = Нысаны
col-region = Өңір
col-earliest = Ең жақын күн
price-tenge = { $amount } ₸
language-kk = қазақ тілі
language-ru = орыс тілі
mode-offline = күндізгі
mode-online = онлайн

cancelled-title = Күші жойылған құжаттар
cancelled-intro = Тізілімде күші жойылған құжаттар, күні, себебі және негізімен (26.2-бап).
filter-from = Күші жойылған күннен
filter-to = дейін
col-cancelled-on = Күші жойылған күні

error-title = Бірдеңе дұрыс болмады
error-bad-request = Сұрау түсініксіз: { $detail }
error-not-found = Мұндай бет жоқ.
error-unavailable = Тізілім қазір қолжетімсіз. Бірнеше минуттан кейін қайталаңыз.

region-abai = Абай облысы
region-akmola = Ақмола облысы
region-aktobe = Ақтөбе облысы
region-almaty-region = Алматы облысы
region-atyrau = Атырау облысы
region-east-kazakhstan = Шығыс Қазақстан облысы
region-jambyl = Жамбыл облысы
region-jetisu = Жетісу облысы
region-west-kazakhstan = Батыс Қазақстан облысы
region-karaganda = Қарағанды облысы
region-kostanay = Қостанай облысы
region-kyzylorda = Қызылорда облысы
region-mangystau = Маңғыстау облысы
region-pavlodar = Павлодар облысы
region-north-kazakhstan = Солтүстік Қазақстан облысы
region-turkistan = Түркістан облысы
region-ulytau = Ұлытау облысы
region-astana = Астана қаласы
region-almaty = Алматы қаласы
region-shymkent = Шымкент қаласы
