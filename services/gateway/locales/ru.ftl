# Публичные страницы Реестра НСК, на русском языке.

site-name = Реестр НСК
site-tagline = Национальная система квалификаций Республики Казахстан
skip-to-content = Перейти к содержанию
nav-label = Реестры
nav-verify = Проверить документ
nav-professions = Профессии
nav-standards = Профессиональные стандарты
nav-centers = Центры признания
nav-offers = Предложения центров
nav-cancelled = Аннулированные документы
language-label = Язык
footer-text = Данные реестров, ведущихся по Закону «О профессиональных квалификациях». API и его описание: { $api }.

verify-title = Проверка документа
verify-intro = Введите серийный номер, напечатанный на документе, или отсканируйте его QR-код.
verify-label = Серийный номер
verify-hint = Шесть групп через дефис, например 25110-72120001-4-201126-0042-00000017
verify-submit = Проверить
verify-bad-serial = Это не серийный номер документа: { $rule }.
status-valid = Действителен
status-valid-detail = Документ есть в реестре и действителен до { $until }.
status-expired = Срок истёк
status-expired-detail = Документ есть в реестре; срок его действия истёк { $until }.
status-cancelled = Аннулирован
status-cancelled-detail = Документ аннулирован { $date }. Он недействителен.
status-unknown = Нет в реестре
status-unknown-detail = Документа с серийным номером { $serial } в реестре нет. Проверьте номер; документ, которого нет в реестре, не подтверждён.
status-unavailable = Не удалось проверить
status-unavailable-detail = Реестр сейчас недоступен. Это ничего не говорит о документе: он не подтверждён и не опровергнут. Повторите проверку через несколько минут.
field-serial = Серийный номер
field-holder = Владелец
field-profession = Профессия
field-level = Уровень квалификации (НРК)
field-skills = Отдельно признанные навыки
field-center = Центр признания
field-procedure-date = Дата процедуры признания
field-issue-date = Дата выдачи
field-valid-until = Действителен до
field-cancel-reason = Причина
field-cancel-basis = Основание
field-replaced-by = Заменён документом
basis-text = № { $number } от { $date }

professions-title = Реестр профессий
professions-intro = Профессии, по которым признаются квалификации, с уровнями и сроком действия документов (ст. 5.6, 21.5).
filter-name = Название содержит
filter-level = Уровень НРК
filter-any = любой
filter-status = Статус
filter-as-of = По состоянию на
filter-submit = Найти
professions-count = { $count ->
    [one] Найдена { $count } профессия
    [few] Найдено { $count } профессии
   *[other] Найдено { $count } профессий
}
more-professions-count = Найдено более { $count } профессий
col-nkz = Код НКЗ
col-oked = ОКЭД
col-name = Наименование
col-levels = Уровни
col-validity = Срок действия документов
col-status = Статус
months = { $count ->
    [one] { $count } месяц
    [few] { $count } месяца
   *[other] { $count } месяцев
}
profession-status-active = в реестре
profession-status-excluded = исключена
page-next = Следующая страница
page-first = Первая страница
nothing-found = Ничего не найдено.

standards-title = Профессиональные стандарты
standards-intro = Утверждённые профессиональные стандарты и их версии (ст. 5.5).
col-title = Наименование
col-sector = Отрасль
col-codes = Коды НКЗ
standard-status-approved = утверждён
standard-status-superseded = заменён новой версией
standard-status-other = на согласовании

centers-title = Центры признания
centers-intro = Аккредитованные центры признания, их область аккредитации и свидетельства (ст. 23-26).
filter-not-renewable = Только центры, не подлежащие повторной аккредитации (ст. 26.5)
col-number = Номер
col-scope = Область аккредитации
col-certificate = Свидетельство
center-status-active = действует
center-status-revoked = отозвано
center-status-terminated = прекращено
center-status-expired = истекло
center-status-replaced = заменено
center-not-renewable = не подлежит повторной аккредитации
certificate-valid = { $from } – { $until }

offers-title = Предложения центров
offers-intro = Кто признаёт какую профессию на каком уровне, где, по какой цене, на каком языке и как скоро (ст. 17.2.1, 17.2.7).
filter-profession = Профессия
filter-region = Регион
filter-language = Язык
filter-max-price = Цена до, тенге
col-price = Цена
col-languages = Языки
col-modes = Форма
col-region = Регион
col-earliest = Ближайшая дата
price-tenge = { $amount } ₸
language-kk = казахский
language-ru = русский
mode-offline = очно
mode-online = онлайн

cancelled-title = Аннулированные документы
cancelled-intro = Документы, аннулированные в реестре, с датой, причиной и основанием (ст. 26.2).
filter-from = Аннулированы с
filter-to = по
col-cancelled-on = Дата аннулирования

error-title = Что-то пошло не так
error-bad-request = Запрос не понят: { $detail }
error-not-found = Такой страницы нет.
error-unavailable = Реестр сейчас недоступен. Повторите через несколько минут.

region-abai = Абайская область
region-akmola = Акмолинская область
region-aktobe = Актюбинская область
region-almaty-region = Алматинская область
region-atyrau = Атырауская область
region-east-kazakhstan = Восточно-Казахстанская область
region-jambyl = Жамбылская область
region-jetisu = область Жетісу
region-west-kazakhstan = Западно-Казахстанская область
region-karaganda = Карагандинская область
region-kostanay = Костанайская область
region-kyzylorda = Кызылординская область
region-mangystau = Мангистауская область
region-pavlodar = Павлодарская область
region-north-kazakhstan = Северо-Казахстанская область
region-turkistan = Туркестанская область
region-ulytau = область Ұлытау
region-astana = город Астана
region-almaty = город Алматы
region-shymkent = город Шымкент
