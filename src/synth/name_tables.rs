//! Word tables behind the name builders in `names.rs`.

/// Name part table `CARIBBEAN_GIVEN`.
pub const CARIBBEAN_GIVEN: &[&str] = &[
    "ANDRE", "KEISHA", "DWAYNE", "SHANTEL", "DESMOND", "MARCIA", "OMAR", "TANISHA", "DEVON",
    "SHERIKA", "LEROY", "NADINE", "RUSHANE", "ALTHEA", "KEMAR", "PATRICE", "JERMAINE", "ODETTE",
    "RICARDO", "SASHANA", "DELROY", "YANIQUE", "GARFIELD", "MONIQUE", "CLIVE", "TAMEKA", "WINSTON",
    "JODIAN", "NEVILLE", "SHAVAR", "HOPETON", "CAMILLE", "ORVILLE", "DONNA", "FITZROY", "KADIAN",
    "AUDLEY", "SHANIECE", "TREVOR", "PAULETTE",
];
/// Name part table `CARIBBEAN_SURNAMES`.
pub const CARIBBEAN_SURNAMES: &[&str] = &[
    "CAMPBELL",
    "BROWN",
    "WILLIAMS",
    "SMITH",
    "JOHNSON",
    "GORDON",
    "REID",
    "THOMPSON",
    "STEWART",
    "GRANT",
    "MCKENZIE",
    "MORRISON",
    "LEWIS",
    "BLAKE",
    "FRANCIS",
    "HENRY",
    "CLARKE",
    "WRIGHT",
    "WALKER",
    "ROBINSON",
    "SPENCE",
    "BARRETT",
    "GAYLE",
    "HINDS",
    "SCARLETT",
    "MCFARLANE",
    "DACOSTA",
    "SAMUELS",
    "BECKFORD",
    "MULLINGS",
    "WHYTE",
    "FORBES",
    "PALMER",
    "ANDERSON",
    "EDWARDS",
    "RICHARDS",
    "PINNOCK",
    "BAILEY",
    "LINDO",
    "FACEY",
];
/// Name part table `ANGLO_GIVEN`.
pub const ANGLO_GIVEN: &[&str] = &[
    "JAMES",
    "SARAH",
    "MICHAEL",
    "EMILY",
    "DAVID",
    "HANNAH",
    "ROBERT",
    "CHARLOTTE",
    "WILLIAM",
    "OLIVIA",
    "THOMAS",
    "SOPHIE",
    "RICHARD",
    "LUCY",
    "EDWARD",
    "GRACE",
    "GEORGE",
    "ALICE",
    "HENRY",
    "ELEANOR",
    "PETER",
    "MARGARET",
    "ANDREW",
    "RACHEL",
    "PHILIP",
    "CLAIRE",
    "STEPHEN",
    "JESSICA",
    "CHRISTOPHER",
    "KATHERINE",
];
/// Name part table `ANGLO_SURNAMES`.
pub const ANGLO_SURNAMES: &[&str] = &[
    "TAYLOR",
    "DAVIES",
    "EVANS",
    "WILSON",
    "ROBERTS",
    "HUGHES",
    "GREEN",
    "HALL",
    "WOOD",
    "HARRIS",
    "MARTIN",
    "JACKSON",
    "TURNER",
    "COOPER",
    "HILL",
    "WARD",
    "MORRIS",
    "MOORE",
    "KING",
    "WATSON",
    "BAKER",
    "HARRISON",
    "YOUNG",
    "ALLEN",
    "MITCHELL",
    "KELLY",
    "O'BRIEN",
    "FITZGERALD",
    "MURPHY",
    "SULLIVAN",
];
/// Name part table `HISPANIC_GIVEN`.
pub const HISPANIC_GIVEN: &[&str] = &[
    "JOSE",
    "MARIA",
    "LUIS",
    "CARMEN",
    "CARLOS",
    "ANA",
    "JUAN",
    "LUCIA",
    "MIGUEL",
    "ISABEL",
    "ALEJANDRO",
    "ROSA",
    "FERNANDO",
    "ELENA",
    "JAVIER",
    "PILAR",
    "DIEGO",
    "VALENTINA",
    "RAFAEL",
    "GABRIELA",
    "ANTONIO",
    "CATALINA",
    "MANUEL",
    "XIMENA",
    "EDUARDO",
    "PAOLA",
    "RAMON",
    "LORENA",
    "SANTIAGO",
    "MARISOL",
];
/// Name part table `HISPANIC_SURNAMES`.
pub const HISPANIC_SURNAMES: &[&str] = &[
    "GARCIA",
    "RODRIGUEZ",
    "MARTINEZ",
    "HERNANDEZ",
    "LOPEZ",
    "GONZALEZ",
    "PEREZ",
    "SANCHEZ",
    "RAMIREZ",
    "TORRES",
    "FLORES",
    "RIVERA",
    "GOMEZ",
    "DIAZ",
    "REYES",
    "MORALES",
    "CRUZ",
    "ORTIZ",
    "GUTIERREZ",
    "CHAVEZ",
    "RAMOS",
    "RUIZ",
    "ALVAREZ",
    "MENDOZA",
    "CASTILLO",
    "JIMENEZ",
    "VARGAS",
    "ROMERO",
    "HERRERA",
    "MEDINA",
];
/// Name part table `SOUTH_ASIAN_GIVEN`.
pub const SOUTH_ASIAN_GIVEN: &[&str] = &[
    "RAJESH", "PRIYA", "ANIL", "SUNITA", "VIKRAM", "ANJALI", "SANJAY", "DEEPA", "RAVI", "KAVITA",
    "ARJUN", "MEERA", "SURESH", "NEHA", "AMIT", "POOJA", "RAHUL", "LAKSHMI", "DEVENDRA", "SHANTI",
    "HARISH", "GEETA", "NAVEEN", "RADHA", "KISHORE", "USHA", "PRAKASH", "SAVITRI", "ROHAN", "ASHA",
];
/// Name part table `SOUTH_ASIAN_SURNAMES`.
pub const SOUTH_ASIAN_SURNAMES: &[&str] = &[
    "SHARMA",
    "PATEL",
    "SINGH",
    "KUMAR",
    "GUPTA",
    "RAMPERSAD",
    "MAHARAJ",
    "PERSAUD",
    "RAGOONANAN",
    "SOOKDEO",
    "REDDY",
    "NAIR",
    "IYER",
    "CHOPRA",
    "MEHTA",
    "JOSHI",
    "DESAI",
    "BOODRAM",
    "SEEPERSAD",
    "MOHAMMED",
    "RAMDASS",
    "BHAGWANDIN",
    "KHAN",
    "VERMA",
    "BANERJEE",
    "RAO",
    "PILLAI",
    "CHAND",
    "DOOKIE",
    "GOPAUL",
];
/// Name part table `CHINESE_SYLLABLES`.
pub const CHINESE_SYLLABLES: &[&str] = &[
    "GANG", "HUI", "JIE", "JING", "KANG", "LEI", "LONG", "MIN", "PENG", "QIANG", "SHENG", "WEN",
    "XIANG", "XUE", "YANG", "YING", "YONG", "YUAN", "ZE", "ZHONG", "WEI", "MING", "HUA", "JIAN",
    "LI", "XIAO", "YAN", "HONG", "JUN", "LING", "FENG", "MEI", "TAO", "YU", "QING", "BO", "HAO",
    "LAN", "CHEN", "ZHI", "KAI", "NING", "PING", "RUI", "SHAN", "TING", "XIN", "YI", "ZHEN", "AN",
];
/// Name part table `CHINESE_SURNAMES`.
pub const CHINESE_SURNAMES: &[&str] = &[
    "CHIN", "CHEN", "WONG", "LEE", "LIM", "CHANG", "HO", "LYN", "YAP", "CHUNG", "WU", "ZHANG",
    "LIU", "HUANG", "ZHAO", "ZHOU", "XU", "SUN", "MA", "ZHU", "HU", "GUO", "HE", "LIN", "LUO",
    "TANG", "FONG", "LOWE", "YOUNG", "HOLNESS",
];
/// Name part table `ARABIC_GIVEN`.
pub const ARABIC_GIVEN: &[&str] = &[
    "AHMED", "FATIMA", "OMAR", "AISHA", "KHALID", "LAYLA", "YOUSSEF", "MARIAM", "HASSAN", "NOOR",
    "IBRAHIM", "ZAINAB", "TARIQ", "SALMA", "KARIM", "HANA", "SAMIR", "RANIA", "NABIL", "DINA",
    "WALID", "AMAL", "FARID", "LINA", "JAMAL", "HUDA", "RAMI", "SAMIRA", "BASSAM", "YASMIN",
];
/// Name part table `ARABIC_SURNAMES`.
pub const ARABIC_SURNAMES: &[&str] = &[
    "HADDAD", "KHOURY", "NASSAR", "SABBAGH", "HALABI", "MANSOUR", "SALEH", "AZAR", "ISSA",
    "HAMDAN", "BAKR", "FARAH", "KHALIL", "SAAD", "NASSER", "RAHMAN", "YOUSEF", "ABBOUD", "JABER",
    "ZAHRAN", "DARWISH", "ATTIEH", "BITAR", "GHANEM", "HOBEIKA", "MATAR", "NAJJAR", "SAYEGH",
    "TAWIL", "ZEIN",
];
/// Name part table `AFRICAN_GIVEN`.
pub const AFRICAN_GIVEN: &[&str] = &[
    "CHINEDU",
    "NGOZI",
    "KWAME",
    "AMA",
    "OLUWASEUN",
    "ADAEZE",
    "KOFI",
    "ABENA",
    "EMEKA",
    "FOLAKE",
    "TUNDE",
    "YEWANDE",
    "KWABENA",
    "AKOSUA",
    "IFEANYI",
    "CHIOMA",
    "SEGUN",
    "BUSOLA",
    "OBINNA",
    "NKECHI",
    "YAW",
    "EFUA",
    "BABATUNDE",
    "TEMITOPE",
    "CHUKWUMA",
    "ADWOA",
    "DAYO",
    "ONYINYE",
    "KELECHI",
    "ESI",
];
/// Name part table `AFRICAN_SURNAMES`.
pub const AFRICAN_SURNAMES: &[&str] = &[
    "OKAFOR", "MENSAH", "ADEYEMI", "OKONKWO", "BOATENG", "OWUSU", "ADEBAYO", "NWOSU", "ASANTE",
    "OGUNLEYE", "EZE", "APPIAH", "BALOGUN", "OBI", "DARKO", "OLADIPO", "IBEKWE", "AGYEMAN",
    "ONYEKA", "ADJEI", "AKINDELE", "UCHE", "FRIMPONG", "OSEI", "ANYANWU", "OYELARAN", "AMPONSAH",
    "NNAMDI", "OTENG", "ADEKUNLE",
];

/// Name part table `NONE`.
pub const NONE: &[&str] = &[];
/// Name part table `SURNAME_STARTS`.
pub const SURNAME_STARTS: &[&str] = &[
    "ASH", "BRAD", "CRAN", "WHIT", "FAIR", "HOLL", "STAN", "MAR", "WOOD", "BRIDGE", "GREEN", "HAR",
    "LANG", "NORTH", "WEST", "RED", "BLACK", "COLD", "HAWK", "SHEL", "CHAD", "BROOK", "ELL",
    "KIRK", "MID", "OAK", "PEN", "RUTH", "SOUTH", "THORN",
];
/// Name part table `SURNAME_ENDS`.
pub const SURNAME_ENDS: &[&str] = &[
    "FORD", "SHAW", "WELL", "TON", "LEY", "FIELD", "WOOD", "BURY", "WORTH", "BROOK", "HAM", "DALE",
    "SON", "STEAD", "WICK", "COTT", "MORE", "LAND", "HILL", "WAY",
];
/// Name part table `CARIB_STARTS`.
pub const CARIB_STARTS: &[&str] = &[
    "SHA", "KE", "DA", "TA", "JA", "RO", "MA", "DE", "LA", "NA", "TRE", "SHE", "KA", "RA", "JO",
    "DWA", "O", "A", "CHE", "ZA",
];
/// Name part table `CARIB_ENDS`.
pub const CARIB_ENDS: &[&str] = &[
    "NIECE", "MAR", "VON", "RELL", "SHAWN", "KEISHA", "NIQUE", "QUAN", "LEISHA", "RICK", "SHANE",
    "DANE", "TOYA", "NELLE", "DEAN", "VAUGHN", "MIKA", "RIKA", "LENE", "VIN",
];
/// Name part table `SOUTH_ASIAN_STARTS`.
pub const SOUTH_ASIAN_STARTS: &[&str] = &[
    "RAJ", "SUR", "DEV", "HAR", "KRISH", "BHAG", "RAM", "VISH", "SHIV", "GAN", "JAI", "KAM", "NAR",
    "PREM", "VIJ", "INDR", "SAT", "CHAND", "MOH", "DAY",
];
/// Name part table `SOUTH_ASIAN_ENDS`.
pub const SOUTH_ASIAN_ENDS: &[&str] = &[
    "ESH", "INDER", "ENDRA", "NATH", "ANAND", "WATI", "DEO", "PAUL", "ISH", "ANTI", "ITA", "AN",
    "ESHWAR", "AMMA", "PRASAD", "RAJ", "AWATI", "ALI", "ESHA", "ENDRA",
];
/// Name part table `ARABIC_STARTS`.
pub const ARABIC_STARTS: &[&str] = &[
    "ABDUL ", "ABU ", "NOUR ", "SAIF ", "ZAIN ", "NASR ", "BADR ", "JAMAL ", "SHAMS ", "ALA ",
];
/// Name part table `ARABIC_ENDS`.
pub const ARABIC_ENDS: &[&str] = &[
    "RAHMAN", "KARIM", "AZIZ", "HAMID", "MAJID", "LATIF", "WAHAB", "NASSER", "ALDIN", "ALLAH",
    "HADI", "SALAM", "GHANI", "RAZZAQ", "QADIR", "BASIT", "FATTAH", "JABBAR", "KHALIQ", "MALIK",
];
/// Name part table `AFRICAN_STARTS`.
pub const AFRICAN_STARTS: &[&str] = &[
    "OLU", "ADE", "CHI", "OBI", "NNE", "OLA", "IFE", "KEHIN", "TAI", "ABI", "EME", "BOLA", "DAMI",
    "FUN", "AYO", "NKEM", "UCHE", "ZI", "KWE", "TOLU",
];
/// Name part table `AFRICAN_ENDS`.
pub const AFRICAN_ENDS: &[&str] = &[
    "WASEUN", "BAYO", "NEDU", "OMA", "KANMI", "DAYO", "MI", "YINKA", "DE", "GAIL", "NNA", "LOLA",
    "KEMI", "MILAYO", "KUNLE", "NNA", "TUNDE", "SOLA", "MIDE", "WA",
];

/// Name part table `PLACE_WORDS`.
pub const PLACE_WORDS: &[&str] = &[
    "ISLAND",
    "BLUE MOUNTAIN",
    "CARIB",
    "SUNRISE",
    "HARBOUR",
    "PALM",
    "GOLDEN",
    "TROPICAL",
    "NORTHSIDE",
    "CROSSROADS",
    "HALF WAY TREE",
    "PORTMORE",
    "SEAVIEW",
    "ROYAL",
    "UNITY",
    "CORNERSTONE",
    "PRIME",
    "PREMIER",
    "EVERGREEN",
    "LIBERTY",
    "MAJESTIC",
    "HILLTOP",
    "RIVERSIDE",
    "BAYSIDE",
];
/// Name part table `CASH_RETAIL_WORDS`.
pub const CASH_RETAIL_WORDS: &[&str] = &[
    "SUPERMARKET",
    "WHOLESALE",
    "HARDWARE",
    "BAR & GRILL",
    "GAS STATION",
    "RESTAURANT",
    "PHARMACY",
    "AUTO PARTS",
    "JERK CENTRE",
    "BAKERY",
    "MINI MART",
    "LIQUOR STORE",
    "FISH MARKET",
    "BEAUTY SUPPLY",
];
/// Name part table `MERCHANT_WORDS`.
pub const MERCHANT_WORDS: &[&str] = &[
    "FASHIONS",
    "ELECTRONICS",
    "FURNITURE",
    "BOOKSTORE",
    "OPTICIANS",
    "CAFE",
    "GYM",
    "SALON",
    "SPORTS",
    "TRAVEL",
    "PET SUPPLIES",
    "HOME CENTRE",
];
/// Name part table `EMPLOYER_WORDS`.
pub const EMPLOYER_WORDS: &[&str] = &[
    "SERVICES",
    "CONSTRUCTION",
    "MANUFACTURING",
    "HOLDINGS",
    "LOGISTICS",
    "SECURITY",
    "ENGINEERING",
    "AGRO PROCESSORS",
    "HOSPITALITY",
    "BUSINESS SOLUTIONS",
    "TRANSPORT",
    "CONTRACTORS",
];
/// Name part table `IMPORTER_WORDS`.
pub const IMPORTER_WORDS: &[&str] = &[
    "TRADING",
    "IMPORTS",
    "DISTRIBUTORS",
    "MERCHANDISING",
    "SUPPLIES",
    "COMMODITIES",
    "FOODS",
    "MOTORS",
];
/// Name part table `FOREIGN_WORDS`.
pub const FOREIGN_WORDS: &[&str] = &[
    "INDUSTRIAL",
    "EXPORT",
    "GLOBAL TRADE",
    "MANUFACTURING",
    "INTERNATIONAL",
    "VENTURES",
    "CAPITAL",
    "PACIFIC",
    "OCEANIC",
    "CONTINENTAL",
];
/// Name part table `LEGAL_FORMS`.
pub const LEGAL_FORMS: &[&str] = &[
    "LTD",
    "LIMITED",
    "LLC",
    "INC",
    "& SONS LTD",
    "& CO",
    "CO LTD",
    "& ASSOCIATES LTD",
];
/// Name part table `FOREIGN_FORMS`.
pub const FOREIGN_FORMS: &[&str] = &[
    "LLC",
    "INC",
    "CO LTD",
    "S.A.",
    "GMBH",
    "LTD",
    "CORP",
    "S.A. DE C.V.",
];
