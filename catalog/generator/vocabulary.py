"""Word lists and sentence patterns for the synthetic catalogue (see catalog/generator/).

One concept per row, translated into the six UN languages. Rows are in the order of how often the
generator should use them: it draws them with Zipf-like weights by rank, so the first rows are
common in every language and the last ones rare, as in a real catalogue. The first column files a
concept under a topic cluster, so that an entry on a climate theme also reads like one:
C climate, energy and disasters; N nature, water, land, oceans and food; P chemicals, waste and
pollution; G governance, finance, data and capacity.

Templates hold `{}` for a drawn term, `{country}` for a country name in the text's language and,
where the grammar allows, `{kind}` for the kind of entry ("case study", "webinar").
"""

LANGUAGES = ("en", "fr", "es", "zh", "ar", "ru")

# cluster | en | fr | es | zh | ar | ru
_CONCEPTS = """
G|development|développement|desarrollo|发展|التنمية|развитие
G|capacity|capacités|capacidades|能力|القدرات|потенциал
C|climate|climat|clima|气候|المناخ|климат
G|management|gestion|gestión|管理|الإدارة|управление
N|water|eau|agua|水资源|المياه|вода
C|energy|énergie|energía|能源|الطاقة|энергия
G|community|communauté|comunidad|社区|المجتمع المحلي|сообщество
G|sustainable|durable|sostenible|可持续|المستدامة|устойчивое
G|environment|environnement|medio ambiente|环境|البيئة|окружающая среда
C|adaptation|adaptation|adaptación|适应|التكيف|адаптация
G|training|formation|formación|培训|التدريب|обучение
G|technology|technologie|tecnología|技术|التكنولوجيا|технологии
G|cooperation|coopération|cooperación|合作|التعاون|сотрудничество
G|policy|politiques|políticas|政策|السياسات|политика
C|resilience|résilience|resiliencia|韧性|القدرة على الصمود|жизнестойкость
N|agriculture|agriculture|agricultura|农业|الزراعة|сельское хозяйство
N|biodiversity|biodiversité|biodiversidad|生物多样性|التنوع البيولوجي|биоразнообразие
G|knowledge|connaissances|conocimientos|知识|المعرفة|знания
G|monitoring|suivi|monitoreo|监测|الرصد|мониторинг
C|emissions|émissions|emisiones|排放|الانبعاثات|выбросы
P|waste|déchets|residuos|废物|النفايات|отходы
C|renewable|renouvelable|renovable|可再生|المتجددة|возобновляемая
C|solar|solaire|solar|太阳能|الطاقة الشمسية|солнечная энергия
G|governance|gouvernance|gobernanza|治理|الحوكمة|регулирование
G|finance|financement|financiamiento|融资|التمويل|финансирование
N|ecosystems|écosystèmes|ecosistemas|生态系统|النظم الإيكولوجية|экосистемы
N|forests|forêts|bosques|森林|الغابات|леса
P|health|santé|salud|健康|الصحة|здоровье
C|urban|urbain|urbano|城市|الحضرية|городская среда
G|data|données|datos|数据|البيانات|данные
N|farmers|agriculteurs|agricultores|农民|المزارعين|фермеры
P|pollution|pollution|contaminación|污染|التلوث|загрязнение
N|restoration|restauration|restauración|恢复|الاستعادة|восстановление
C|efficiency|efficacité|eficiencia|效率|الكفاءة|эффективность
C|early warning|alerte précoce|alerta temprana|预警|الإنذار المبكر|раннее оповещение
C|drought|sécheresse|sequía|干旱|الجفاف|засуха
N|coastal|côtier|costero|沿海|الساحلية|прибрежные зоны
N|ocean|océan|océano|海洋|المحيطات|океан
P|chemicals|produits chimiques|productos químicos|化学品|المواد الكيميائية|химические вещества
P|plastic|plastique|plástico|塑料|البلاستيك|пластик
N|irrigation|irrigation|riego|灌溉|الري|орошение
N|land|terres|tierras|土地|الأراضي|земли
N|soil|sols|suelos|土壤|التربة|почвы
N|fisheries|pêche|pesca|渔业|مصايد الأسماك|рыболовство
G|women|femmes|mujeres|妇女|المرأة|женщины
G|youth|jeunes|jóvenes|青年|الشباب|молодёжь
G|innovation|innovation|innovación|创新|الابتكار|инновации
G|digital|numérique|digital|数字化|الرقمية|цифровизация
C|mitigation|atténuation|mitigación|减缓|التخفيف|смягчение последствий
C|carbon|carbone|carbono|碳|الكربون|углерод
N|mangroves|mangroves|manglares|红树林|أشجار المانغروف|мангровые леса
N|wetlands|zones humides|humedales|湿地|الأراضي الرطبة|водно-болотные угодья
P|sanitation|assainissement|saneamiento|卫生设施|الصرف الصحي|санитария
P|recycling|recyclage|reciclaje|回收利用|إعادة التدوير|переработка
P|air|air|aire|空气|الهواء|воздух
C|cities|villes|ciudades|城镇|المدن|города
C|households|ménages|hogares|家庭|الأسر|домохозяйства
G|institutions|institutions|instituciones|机构|المؤسسات|учреждения
G|stakeholders|parties prenantes|actores|利益相关方|أصحاب المصلحة|заинтересованные стороны
G|assessment|évaluation|evaluación|评估|التقييم|оценка
G|planning|planification|planificación|规划|التخطيط|планирование
G|strategy|stratégie|estrategia|战略|الاستراتيجية|стратегия
G|tools|outils|herramientas|工具|الأدوات|инструменты
C|infrastructure|infrastructures|infraestructura|基础设施|البنية التحتية|инфраструктура
N|rural|rural|rural|农村|الريفية|сельские районы
N|livelihoods|moyens de subsistance|medios de vida|生计|سبل العيش|средства к существованию
N|food|alimentation|alimentos|粮食|الغذاء|продовольствие
C|disaster|catastrophes|desastres|灾害|الكوارث|бедствия
C|risk|risques|riesgo|风险|المخاطر|риски
C|floods|inondations|inundaciones|洪水|الفيضانات|наводнения
C|heat|chaleur|calor|高温|الحرارة|жара
C|transport|transport|transporte|交通|النقل|транспорт
C|buildings|bâtiments|edificios|建筑|المباني|здания
C|cooling|refroidissement|refrigeración|制冷|التبريد|охлаждение
P|mercury|mercure|mercurio|汞|الزئبق|ртуть
P|pesticides|pesticides|plaguicidas|农药|مبيدات الآفات|пестициды
G|economy|économie|economía|经济|الاقتصاد|экономика
P|circular|circulaire|circular|循环|الدائري|замкнутый цикл
P|consumption|consommation|consumo|消费|الاستهلاك|потребление
P|production|production|producción|生产|الإنتاج|производство
N|species|espèces|especies|物种|الأنواع|виды
N|protected areas|aires protégées|áreas protegidas|保护区|المحميات|охраняемые территории
N|wildlife|faune|fauna silvestre|野生动物|الحياة البرية|дикая природа
N|marine|marin|marino|海域|البحرية|морская среда
G|reporting|rapports|informes|报告|الإبلاغ|отчётность
G|transparency|transparence|transparencia|透明度|الشفافية|прозрачность
G|legislation|législation|legislación|立法|التشريعات|законодательство
P|standards|normes|normas|标准|المعايير|стандарты
G|research|recherche|investigación|研究|البحث العلمي|исследования
G|education|éducation|educación|教育|التعليم|образование
G|network|réseau|red|网络|الشبكة|сеть
G|partnership|partenariat|alianza|伙伴关系|الشراكة|партнёрство
G|exchange|échange|intercambio|交流|التبادل|обмен
G|South-South|Sud-Sud|Sur-Sur|南南|بين بلدان الجنوب|Юг–Юг
G|triangular|triangulaire|triangular|三方|الثلاثي|трёхстороннее
G|pilot|pilote|piloto|试点|التجريبي|пилотный проект
G|scaling up|mise à l'échelle|ampliación|推广|توسيع النطاق|масштабирование
G|investment|investissement|inversión|投资|الاستثمار|инвестиции
G|markets|marchés|mercados|市场|الأسواق|рынки
G|enterprises|entreprises|empresas|企业|الشركات|предприятия
N|mapping|cartographie|mapeo|测绘|رسم الخرائط|картирование
G|satellite|satellite|satelital|卫星|الأقمار الصناعية|спутниковые данные
G|indicators|indicateurs|indicadores|指标|المؤشرات|показатели
C|inventory|inventaire|inventario|清单|الجرد|кадастр
C|wind|éolien|eólica|风能|طاقة الرياح|ветроэнергетика
C|biogas|biogaz|biogás|沼气|الغاز الحيوي|биогаз
C|cookstoves|foyers améliorés|estufas mejoradas|清洁炉灶|مواقد الطهي|кухонные плиты
C|electrification|électrification|electrificación|电气化|الكهربة|электрификация
C|mini-grids|mini-réseaux|minirredes|微电网|الشبكات الصغيرة|мини-сети
C|storage|stockage|almacenamiento|储能|التخزين|хранение
N|groundwater|eaux souterraines|aguas subterráneas|地下水|المياه الجوفية|подземные воды
N|rainwater|eau de pluie|agua de lluvia|雨水|مياه الأمطار|дождевая вода
N|desalination|dessalement|desalinización|海水淡化|تحلية المياه|опреснение
N|watershed|bassin versant|cuenca|流域|مستجمعات المياه|водосбор
N|coral reefs|récifs coralliens|arrecifes de coral|珊瑚礁|الشعاب المرجانية|коралловые рифы
N|pastoralists|pasteurs|pastores|牧民|الرعاة|скотоводы
N|agroforestry|agroforesterie|agroforestería|农林复合经营|الحراجة الزراعية|агролесоводство
N|seeds|semences|semillas|种子|البذور|семена
G|value chains|chaînes de valeur|cadenas de valor|价值链|سلاسل القيمة|цепочки создания стоимости
G|indigenous peoples|peuples autochtones|pueblos indígenas|土著人民|الشعوب الأصلية|коренные народы
G|gender|genre|género|性别|النوع الاجتماعي|гендер
P|e-waste|déchets électroniques|RAEE|电子废物|النفايات الإلكترونية|электронные отходы
P|wastewater|eaux usées|aguas residuales|废水|مياه الصرف|сточные воды
P|landfills|décharges|rellenos sanitarios|填埋场|مدافن النفايات|полигоны
P|hazardous|dangereux|peligrosos|危险废物|الخطرة|опасные отходы
P|nitrogen|azote|nitrógeno|氮|النيتروجين|азот
P|ozone|ozone|ozono|臭氧|الأوزون|озон
P|refrigerants|fluides frigorigènes|refrigerantes|制冷剂|مواد التبريد|хладагенты
C|dust storms|tempêtes de poussière|tormentas de polvo|沙尘暴|العواصف الترابية|пыльные бури
N|desertification|désertification|desertificación|荒漠化|التصحر|опустынивание
C|glaciers|glaciers|glaciares|冰川|الأنهار الجليدية|ледники
N|solutions|solutions|soluciones|解决方案|الحلول|решения
N|nature|nature|naturaleza|自然|الطبيعة|природа
G|accounting|comptabilité|contabilidad|核算|المحاسبة|учёт
P|certification|certification|certificación|认证|إصدار الشهادات|сертификация
P|procurement|achats publics|compras públicas|采购|المشتريات|закупки
N|tourism|tourisme|turismo|旅游|السياحة|туризм
N|islands|îles|islas|岛屿|الجزر|острова
N|mountains|montagnes|montañas|山区|الجبال|горы
N|rivers|fleuves|ríos|河流|الأنهار|реки
N|lakes|lacs|lagos|湖泊|البحيرات|озёра
P|textiles|textiles|textiles|纺织|المنسوجات|текстиль
P|mining|mines|minería|采矿|التعدين|горнодобывающая отрасль
C|mobility|mobilité|movilidad|出行|التنقل|мобильность
C|vehicles|véhicules|vehículos|车辆|المركبات|транспортные средства
C|batteries|batteries|baterías|电池|البطاريات|аккумуляторы
C|hydrogen|hydrogène|hidrógeno|氢能|الهيدروجين|водород
C|weather|météo|meteorología|气象|الأرصاد الجوية|метеорология
C|forecasting|prévision|pronóstico|预报|التنبؤ|прогнозирование
G|insurance|assurance|seguros|保险|التأمين|страхование
"""

CONCEPTS: tuple[tuple[str, dict[str, str]], ...] = tuple(
    (cluster, dict(zip(LANGUAGES, words, strict=True)))
    for cluster, *words in (line.split("|") for line in _CONCEPTS.strip().splitlines())
)

# Labels of Entry.Kind as they appear in titles.
KIND_LABELS: dict[str, dict[str, str]] = {
    "technology": {
        "en": "Technology", "fr": "Technologie", "es": "Tecnología",
        "zh": "技术", "ar": "تكنولوجيا", "ru": "Технология",
    },
    "tool": {
        "en": "Toolkit", "fr": "Boîte à outils", "es": "Caja de herramientas",
        "zh": "工具包", "ar": "مجموعة أدوات", "ru": "Инструментарий",
    },
    "guideline": {
        "en": "Guidelines", "fr": "Lignes directrices", "es": "Directrices",
        "zh": "指南", "ar": "مبادئ توجيهية", "ru": "Руководство",
    },
    "institutional-expertise": {
        "en": "Institutional expertise", "fr": "Expertise institutionnelle",
        "es": "Experiencia institucional", "zh": "机构专长", "ar": "خبرة مؤسسية",
        "ru": "Институциональная экспертиза",
    },
    "expert-roster": {
        "en": "Expert roster", "fr": "Fichier d'experts", "es": "Lista de expertos",
        "zh": "专家名册", "ar": "قائمة خبراء", "ru": "Реестр экспертов",
    },
    "best-practice": {
        "en": "Best practice", "fr": "Bonne pratique", "es": "Buena práctica",
        "zh": "最佳实践", "ar": "ممارسة فضلى", "ru": "Передовая практика",
    },
    "case-study": {
        "en": "Case study", "fr": "Étude de cas", "es": "Estudio de caso",
        "zh": "案例研究", "ar": "دراسة حالة", "ru": "Тематическое исследование",
    },
    "lessons-learned": {
        "en": "Lessons learned", "fr": "Enseignements tirés", "es": "Lecciones aprendidas",
        "zh": "经验教训", "ar": "الدروس المستفادة", "ru": "Извлечённые уроки",
    },
    "training": {
        "en": "Training", "fr": "Formation", "es": "Capacitación",
        "zh": "培训", "ar": "تدريب", "ru": "Обучение",
    },
    "fellowship": {
        "en": "Fellowship", "fr": "Bourse", "es": "Beca",
        "zh": "研究金", "ar": "زمالة", "ru": "Стипендия",
    },
    "staff-exchange": {
        "en": "Staff exchange", "fr": "Échange de personnel", "es": "Intercambio de personal",
        "zh": "人员交流", "ar": "تبادل الموظفين", "ru": "Обмен персоналом",
    },
    "advisory-service": {
        "en": "Advisory service", "fr": "Service de conseil", "es": "Servicio de asesoría",
        "zh": "咨询服务", "ar": "خدمة استشارية", "ru": "Консультационная услуга",
    },
    "funding-call": {
        "en": "Call for proposals", "fr": "Appel à propositions", "es": "Convocatoria",
        "zh": "提案征集", "ar": "دعوة لتقديم مقترحات", "ru": "Конкурс заявок",
    },
    "network": {
        "en": "Network", "fr": "Réseau", "es": "Red",
        "zh": "网络", "ar": "شبكة", "ru": "Сеть",
    },
    "workshop": {
        "en": "Regional workshop", "fr": "Atelier régional", "es": "Taller regional",
        "zh": "区域讲习班", "ar": "حلقة عمل إقليمية", "ru": "Региональный семинар",
    },
    "conference": {
        "en": "Conference", "fr": "Conférence", "es": "Conferencia",
        "zh": "会议", "ar": "مؤتمر", "ru": "Конференция",
    },
    "webinar": {
        "en": "Webinar", "fr": "Webinaire", "es": "Seminario web",
        "zh": "网络研讨会", "ar": "ندوة عبر الإنترنت", "ru": "Вебинар",
    },
}  # fmt: skip

ENTRY_TITLES: dict[str, tuple[str, ...]] = {
    "en": (
        "{kind}: {} and {} in {country}",
        "{} {} for {}",
        "{kind} on {} {} and {}",
        "{} and {}: {} {}",
        "{country}: {} {} through {}",
    ),
    "fr": (
        "{kind} : {} et {}",
        "{kind} sur {} et {} ({country})",
        "{} et {} : {} ({country})",
        "{} : {} et {}",
    ),
    "es": (
        "{kind}: {} y {}",
        "{kind} sobre {} y {} en {country}",
        "{} y {}: {} ({country})",
        "{} para {} y {}",
    ),
    "zh": (
        "{country}{}与{}{kind}",
        "{}{}{kind}",
        "{kind}：{}与{}",
        "{}与{}：{}{}",
    ),
    "ar": (
        "{kind}: {} و{}",
        "{kind} بشأن {} و{} في {country}",
        "{} و{}: {}",
        "{} من أجل {} و{}",
    ),
    "ru": (
        "{kind}: {} и {}",
        "{kind}: {}, {} ({country})",
        "{} и {}: {}",
        "{}, {} и {}",
    ),
}

ENTRY_SENTENCES: dict[str, tuple[str, ...]] = {
    "en": (
        "This {kind} strengthens {} and {} for {} in {country}.",
        "It combines {} {} with {} to improve {} and {}.",
        "Local {} and {} teams apply {} {} methods across {} areas.",
        "Results include better {} {}, lower {} and stronger {} {}.",
        "Developed with partners in {country}, it is adapted to {} and {} conditions.",
        "Key topics: {}, {}, {} and {}.",
        "Participants learn {} {} techniques, {} and {} planning.",
        "Lessons on {} and {} are shared through {} {} networks.",
        "It supports national targets on {}, {} and {}.",
        "Costs are low, and {} {} can be maintained by {} {} without outside help.",
        "Evidence from {country} shows gains in {}, {} and {} {}.",
        "The {kind} reaches {} agencies, {} groups and {} {} practitioners.",
    ),
    "fr": (
        "Cette initiative renforce les capacités en matière de {} et de {} ({country}).",
        "Domaines couverts : {}, {}, {} et {}.",
        "L'approche associe {} et {} afin d'améliorer {} et {}.",
        "Les résultats portent sur : {} ; {} ; {} {}.",
        "Des équipes locales de {} et de {} appliquent des méthodes de {} dans les zones de {}.",
        "Mots-clés : {}, {}, {}.",
        "Elle a été mise au point avec des partenaires ({country}) dans le domaine de {} et de {}.",
        "Les participants se forment à {}, {} et {} {}.",
        "Les enseignements sur {} et {} sont partagés au sein de réseaux de {}.",
        "Elle contribue aux objectifs nationaux en matière de {}, de {} et de {}.",
    ),
    "es": (
        "Esta iniciativa fortalece capacidades en {} y {} en {country}.",
        "Áreas temáticas: {}, {}, {} y {}.",
        "El enfoque combina {} y {} para mejorar {} y {}.",
        "Los resultados incluyen avances en {}, {} y {} {}.",
        "Equipos locales de {} y {} aplican métodos de {} en zonas de {}.",
        "Palabras clave: {}, {}, {}.",
        "Se desarrolló con socios de {country} en materia de {} y {}.",
        "Los participantes se capacitan en {}, {} y {} {}.",
        "Las lecciones sobre {} y {} se comparten a través de redes de {}.",
        "Contribuye a las metas nacionales de {}, {} y {}.",
    ),
    "zh": (
        "该{kind}在{country}加强{}和{}方面的{}。",
        "项目将{}与{}相结合，提高{}和{}水平。",
        "主要领域：{}、{}、{}和{}。",
        "当地{}和{}团队在{}地区推广{}{}方法。",
        "成果包括{}{}改善、{}减少以及{}能力提升。",
        "该方法与{country}的{}伙伴共同开发，适用于{}和{}条件。",
        "参与者学习{}{}技术、{}和{}规划。",
        "关于{}和{}的经验通过{}网络分享。",
        "支持实现{}、{}和{}方面的国家目标。",
        "关键词：{}、{}、{}。",
    ),
    "ar": (
        "تعزز هذه المبادرة القدرات في مجال {} و{} في {country}.",
        "المجالات الرئيسية: {} و{} و{} و{}.",
        "يجمع النهج بين {} و{} لتحسين {} و{}.",
        "تشمل النتائج تحسين {} و{} وخفض {}.",
        "تطبق فرق محلية معنية بـ{} و{} أساليب {} في مناطق {}.",
        "الكلمات الرئيسية: {}، {}، {}.",
        "جرى تطوير النهج مع شركاء من {country} في مجالي {} و{}.",
        "يتعلم المشاركون تقنيات {} و{} و{}.",
        "يجري تبادل الدروس المتعلقة بـ{} و{} عبر شبكات {}.",
        "يسهم في تحقيق الأهداف الوطنية المتعلقة بـ{} و{} و{}.",
    ),
    "ru": (
        "Инициатива укрепляет потенциал в следующих областях: {}, {} и {} ({country}).",
        "Основные направления: {}, {}, {} и {}.",
        "Подход сочетает следующие элементы: {}, {} и {}.",
        "Результаты: {}, {}, {} и {}.",
        "Ключевые слова: {}, {}, {}.",
        "Разработано совместно с партнёрами ({country}); темы: {} и {}.",
        "Участники изучают темы: {}, {} и {}.",
        "Опыт в сферах «{}» и «{}» распространяется через сети партнёров.",
        "Вклад в национальные цели: {}, {} и {}.",
        "Целевые группы и сферы: {}, {}, {}.",
    ),
}

NEED_TITLES: dict[str, tuple[str, ...]] = {
    "en": (
        "Strengthening capacity on {} and {} in {country}",
        "Support for {} {} in {country}",
        "Technical assistance on {} and {}",
        "{country}: {} {} and {}",
    ),
    "fr": (
        "Renforcement des capacités en {} et {} ({country})",
        "Appui en matière de {} et de {} ({country})",
        "Assistance technique : {} et {}",
    ),
    "es": (
        "Fortalecimiento de capacidades en {} y {} ({country})",
        "Apoyo en {} y {} para {country}",
        "Asistencia técnica: {} y {}",
    ),
    "zh": (
        "{country}{}和{}能力建设",
        "{country}{}{}技术援助",
        "加强{}与{}能力",
    ),
    "ar": (
        "بناء القدرات في مجال {} و{} في {country}",
        "دعم تقني بشأن {} و{}",
        "تعزيز {} و{} في {country}",
    ),
    "ru": (
        "Укрепление потенциала: {} и {} ({country})",
        "Техническая помощь: {} и {}",
        "Поддержка: {}, {} ({country})",
    ),
}

NEED_SENTENCES: dict[str, tuple[str, ...]] = {
    "en": (
        "The government of {country} requests support on {} and {}.",
        "Current gaps include limited {}, weak {} and scarce {} {}.",
        "Priority actions cover {}, {} and {}.",
        "Support is sought for {} {} and {} in {} areas.",
        "National institutions lack staff trained in {} and {} {}.",
        "The need was identified in consultations on {}, {} and {}.",
        "Expected outcomes: stronger {}, better {} {} and more {}.",
    ),
    "fr": (
        "Le gouvernement ({country}) sollicite un appui en matière de {} et de {}.",
        "Lacunes actuelles : {}, {} et {}.",
        "Actions prioritaires : {}, {} et {}.",
        "Les institutions nationales manquent de personnel formé en {} et en {}.",
        "Ce besoin a été recensé lors de consultations sur {}, {} et {}.",
        "Résultats attendus : {}, {} et {} renforcés.",
    ),
    "es": (
        "El gobierno de {country} solicita apoyo en {} y {}.",
        "Brechas actuales: {}, {} y {}.",
        "Acciones prioritarias: {}, {} y {}.",
        "Las instituciones nacionales carecen de personal capacitado en {} y {}.",
        "La necesidad se identificó en consultas sobre {}, {} y {}.",
        "Resultados esperados: mejoras en {}, {} y {}.",
    ),
    "zh": (
        "{country}政府请求在{}和{}方面提供支持。",
        "目前的差距包括{}、{}和{}。",
        "优先行动包括{}、{}和{}。",
        "国家机构缺乏{}和{}方面的专业人员。",
        "该需求是在关于{}、{}和{}的磋商中确定的。",
        "预期成果：{}加强，{}和{}改善。",
    ),
    "ar": (
        "تطلب حكومة {country} الدعم في مجال {} و{}.",
        "تشمل الثغرات الحالية {} و{} و{}.",
        "تشمل الإجراءات ذات الأولوية {} و{} و{}.",
        "تفتقر المؤسسات الوطنية إلى موظفين مدربين في مجال {} و{}.",
        "حُددت هذه الحاجة خلال مشاورات بشأن {} و{} و{}.",
        "النتائج المتوقعة: تعزيز {} وتحسين {} و{}.",
    ),
    "ru": (
        "Правительство ({country}) запрашивает поддержку по темам: {} и {}.",
        "Текущие пробелы: {}, {} и {}.",
        "Приоритетные действия: {}, {} и {}.",
        "Национальным учреждениям не хватает специалистов в сферах: {} и {}.",
        "Потребность выявлена в ходе консультаций по темам: {}, {} и {}.",
        "Ожидаемые результаты: {}, {} и {}.",
    ),
}

# Organizations are named in English, as most partner databases list them.
ORGANIZATION_FIELDS = (
    "Environment",
    "Water Resources",
    "Renewable Energy",
    "Climate Change",
    "Agriculture",
    "Forestry",
    "Biodiversity",
    "Waste Management",
    "Clean Technology",
    "Sustainable Development",
    "Marine Sciences",
    "Disaster Risk Reduction",
    "Energy Efficiency",
    "Land Management",
    "Meteorology",
    "Chemical Safety",
    "Urban Planning",
    "Rural Development",
)

ORGANIZATION_NAMES: dict[str, tuple[str, ...]] = {
    "government": ("Ministry of {field}", "National {field} Agency", "{country} {field} Authority"),
    "un-entity": ("UN {field} Programme Office", "Joint UN Initiative on {field}"),
    "intergovernmental": ("Regional Commission on {field}", "Intergovernmental {field} Centre"),
    "centre-of-excellence": (
        "Centre of Excellence for {field}",
        "{country} Centre for {field}",
    ),
    "university-research": (
        "{country} Institute for {field} Research",
        "University of {country}, Department of {field}",
    ),
    "ngo": ("{field} Foundation", "Alliance for {field}", "{country} {field} Society"),
    "private-sector": ("{field} Solutions Ltd", "{country} {field} Company"),
    "network-secretariat": ("{field} Network Secretariat", "South-South {field} Network"),
}

CONTACT_FIRST_NAMES = (
    "Amina", "Kwame", "Li", "Wei", "Priya", "Ravi", "Fatima", "Omar", "Ana", "Carlos",
    "Sofia", "Juan", "Nadia", "Youssef", "Thandiwe", "Sipho", "Mei", "Arjun", "Leila", "Diego",
    "Grace", "Joseph", "Olga", "Ivan", "Aisha", "Ibrahim", "Maria", "Luis", "Hana", "Tuan",
)  # fmt: skip

CONTACT_LAST_NAMES = (
    "Mensah", "Okafor", "Zhang", "Wang", "Sharma", "Patel", "Haddad", "Mansour", "Silva", "Gomez",
    "Rodriguez", "Perez", "Karimi", "Benali", "Dlamini", "Nkosi", "Chen", "Nair", "Hassan",
    "Morales", "Njoroge", "Banda", "Ivanova", "Petrov", "Diallo", "Traore", "Santos", "Lopez",
    "Nguyen", "Tran",
)  # fmt: skip

NEED_ORIGIN_DOCUMENTS = {
    "tna": "Technology Needs Assessment report",
    "ndc": "Nationally Determined Contribution",
    "nap": "National Adaptation Plan",
    "national-communication": "National Communication to the UNFCCC",
    "nbsap": "National Biodiversity Strategy and Action Plan",
    "regional-consultation": "Regional consultation report",
    "government-request": "Letter from the ministry of environment",
    "other": "Project document",
}

NEED_CLOSED_REASONS = (
    "Met by a South-South partner matched through the portal.",
    "Withdrawn by the requesting government.",
    "Merged into a broader regional need.",
    "No longer a national priority.",
)
