"""Word lists the demo world is made of: names, streets, legal forms, sectors, NACE codes.

All of it is hand-written, Belgian-flavoured vocabulary. Codes that mirror the real KBO code
tables (legal forms, juridical situations, activity groups) are documented in
``demo/data/PROVENANCE.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

FIRST_NAMES_FR = (
    "Jean", "Marie", "Pierre", "Sophie", "Luc", "Nathalie", "Michel", "Isabelle", "Philippe",
    "Catherine", "Olivier", "Julie", "Mehdi", "Fatima", "Youssef", "Karim", "Nadia", "Christophe",
    "Valérie", "Benoît", "Amélie", "Grégory", "Sarah", "Laurent", "Aurélie", "Didier", "Hélène",
)
FIRST_NAMES_NL = (
    "Jan", "Peter", "Els", "Koen", "Sofie", "Tom", "An", "Bart", "Inge", "Dirk", "Lieve", "Wim",
    "Ann", "Kristof", "Joris", "Katrien", "Geert", "Hilde", "Stijn", "Veerle", "Pieter", "Lotte",
    "Ruben", "Liesbeth", "Jef", "Mieke", "Dries",
)
FIRST_NAMES_OTHER = (
    "Piotr", "Andrei", "Ivan", "Mihai", "Elena", "Tomasz", "João", "Ana", "Georgi", "Mustafa",
    "Ayşe", "Rachid", "Samira", "Bogdan", "Ioana",
)
LAST_NAMES_NL = (
    "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters",
    "De Smet", "Vermeulen", "Van den Broeck", "De Vos", "Hermans", "Michiels", "Lemmens", "Aerts",
    "Verstraeten", "Claeys", "Van Damme", "De Clercq", "Smets", "Stevens", "Pauwels", "Cools",
    "Verhoeven", "Van Acker", "D'hondt", "Baert", "Desmet",
)
LAST_NAMES_FR = (
    "Dubois", "Lambert", "Dupont", "Martin", "Simon", "Laurent", "Leroy", "Renard", "Lejeune",
    "Denis", "Lefebvre", "Hubert", "Gilles", "Lemaire", "Collard", "Mathieu", "Fontaine",
    "Delvaux", "François", "Masson", "Bastin", "Jacquet", "Thiry", "Henrard", "Piette",
)
LAST_NAMES_OTHER = (
    "El Amrani", "Benali", "Nowak", "Kowalski", "Popescu", "Ionescu", "Dimitrov", "Silva",
    "Ferreira", "Yilmaz", "Bouzid", "Haddad", "Wiśniewski", "Georgiev", "Costa",
)

STREETS_NL = (
    "Kerkstraat", "Stationsstraat", "Dorpsstraat", "Molenstraat", "Nieuwstraat", "Schoolstraat",
    "Kapelstraat", "Hoogstraat", "Industrieweg", "Brusselsesteenweg", "Gentsesteenweg",
    "Antwerpsesteenweg", "Nijverheidsstraat", "Veldstraat", "Lindenlaan", "Kortrijksesteenweg",
    "Mechelsesteenweg", "Zandstraat", "Beekstraat", "Ambachtenlaan",
)
STREETS_FR = (
    "Rue de la Station", "Rue de l'Église", "Chaussée de Bruxelles", "Rue du Moulin", "Rue Haute",
    "Avenue des Tilleuls", "Rue de la Gare", "Place Communale", "Rue du Commerce",
    "Chaussée de Louvain", "Rue des Champs", "Rue de Namur", "Boulevard Industriel",
    "Rue Royale", "Rue du Parc", "Chaussée de Mons", "Rue Saint-Martin", "Rue des Écoles",
    "Rue de Liège", "Zoning Industriel",
)
# Brussels streets carry a French and a Dutch name.
STREETS_BRUSSELS = (
    ("Rue Neuve", "Nieuwstraat"), ("Chaussée de Gand", "Steenweg op Gent"),
    ("Rue du Midi", "Zuidstraat"), ("Avenue Louise", "Louizalaan"),
    ("Chaussée de Mons", "Bergensesteenweg"), ("Rue de Brabant", "Brabantstraat"),
    ("Chaussée de Haecht", "Haachtsesteenweg"), ("Rue Haute", "Hoogstraat"),
    ("Boulevard Anspach", "Anspachlaan"), ("Rue de Flandre", "Vlaamsesteenweg"),
    ("Chaussée de Wavre", "Waversesteenweg"), ("Avenue de la Couronne", "Kroonlaan"),
)

PLACE_WORDS = ("Centrum", "Centre", "Express", "Royal", "Élite", "Star", "Sun", "Prima", "Nova")

FOREIGN_CITIES = {
    "PL": (("Warszawa", "00-001"), ("Kraków", "30-001"), ("Wrocław", "50-001")),
    "RO": (("București", "010011"), ("Cluj-Napoca", "400001"), ("Iași", "700001")),
    "BG": (("Sofia", "1000"), ("Plovdiv", "4000"), ("Varna", "9000")),
    "PT": (("Lisboa", "1000-001"), ("Porto", "4000-001"), ("Braga", "4700-001")),
}
FOREIGN_FIRM_NAMES = {
    "PL": ("Budmax Sp. z o.o.", "Polbud Usługi Sp. z o.o.", "Wisła Montaż Sp. z o.o.",
           "Kraktrans Sp. z o.o.", "Mazur Bud Sp. z o.o."),
    "RO": ("Construcții Dacia SRL", "Romclean Services SRL", "Carpați Instal SRL",
           "Transilvania Trans SRL"),
    "BG": ("Balkan Build EOOD", "Sofia Trans OOD", "Rila Montazh EOOD", "Dunav Clean OOD"),
    "PT": ("Construções Lusitânia Lda", "Limpezas Atlântico Unipessoal Lda",
           "Tejo Obras Lda", "Minho Serviços Lda"),
}


@dataclass(frozen=True)
class LegalForm:
    """A Belgian legal form: KBO code, labels and the abbreviations written after names."""

    code: str
    label_fr: str
    label_nl: str
    abbr_fr: str
    abbr_nl: str
    cac_code: str | None = None  # legal form to read under the Companies Code (old forms)


LEGAL_FORMS = {
    "BV": LegalForm("610", "Société à responsabilité limitée", "Besloten vennootschap",
                    "SRL", "BV"),
    "NV": LegalForm("014", "Société anonyme", "Naamloze vennootschap", "SA", "NV"),
    "VOF": LegalForm("011", "Société en nom collectif", "Vennootschap onder firma",
                     "SNC", "VOF"),
    "CommV": LegalForm("012", "Société en commandite", "Commanditaire vennootschap",
                       "SComm", "CommV"),
    "CV": LegalForm("706", "Société coopérative", "Coöperatieve vennootschap", "SC", "CV"),
    "BVBA": LegalForm("015", "Société privée à responsabilité limitée",
                      "Besloten vennootschap met beperkte aansprakelijkheid", "SPRL", "BVBA",
                      cac_code="610"),
    "VZW": LegalForm("017", "Association sans but lucratif", "Vereniging zonder winstoogmerk",
                     "ASBL", "VZW"),
}
# How often each legal form is drawn for a new employer.
LEGAL_FORM_WEIGHTS = (("BV", 46), ("NV", 12), ("BVBA", 16), ("VOF", 6), ("CommV", 6),
                      ("CV", 4), ("VZW", 6))

# KBO JuridicalSituation codes used by the demo (labels as on kbopub, FR then NL).
JURIDICAL_SITUATIONS = {
    "000": ("Situation normale", "Normale toestand"),
    "012": ("Dissolution volontaire – liquidation", "Vrijwillige ontbinding – vereffening"),
    "050": ("Ouverture de faillite", "Opening faillissement"),
    "052": ("Clôture de faillite sans excusabilité",
            "Sluiting faillissement zonder verschoonbaarheid"),
}
STATUS_LABELS = {"AC": ("Actif", "Actief"), "ST": ("Arrêté", "Stopgezet")}


@dataclass(frozen=True)
class Nace:
    """One NACE-BEL activity (the demo uses the same code in the 2008 and 2025 versions)."""

    code: str  # five digits, e.g. "81210"
    label_fr: str
    label_nl: str

    @property
    def dotted(self) -> str:
        return f"{self.code[:2]}.{self.code[2:]}"


@dataclass(frozen=True)
class Sector:
    """A branch of activity: its NACE codes, how firms are named and what jobs they offer."""

    key: str
    high_risk: bool
    nace: tuple[Nace, ...]
    names_fr: tuple[str, ...]  # "{last}" = a surname, "{place}" = a locality, "{word}" = a word
    names_nl: tuple[str, ...]
    jobs_fr: tuple[str, ...]
    jobs_nl: tuple[str, ...]
    jobs_en: tuple[str, ...]
    listing_categories: tuple[str, ...]  # what the firm offers on the classifieds


SECTORS = (
    Sector(
        "car_wash", True,
        (Nace("45203", "Lavage de véhicules automobiles", "Wassen van motorvoertuigen"),),
        ("Car Wash {place}", "Lavage {word}", "Car Clean {last}"),
        ("Carwash {place}", "Autowas {word}", "Car Clean {last}"),
        ("Laveur de voitures", "Préparateur de véhicules", "Employé car wash"),
        ("Autowasser", "Medewerker carwash", "Voertuigpoetser"),
        ("Car wash attendant", "Car valeter"),
        ("car wash",),
    ),
    Sector(
        "cleaning", True,
        (Nace("81210", "Nettoyage courant des bâtiments", "Algemene reiniging van gebouwen"),
         Nace("81220", "Autres activités de nettoyage des bâtiments; nettoyage industriel",
              "Overige reiniging van gebouwen; industriële reiniging")),
        ("Nettoyage {last}", "Clean {word}", "Net Services {place}"),
        ("Schoonmaak {last}", "Clean {word}", "Poetsdienst {place}"),
        ("Nettoyeur / Nettoyeuse", "Agent d'entretien", "Technicien de surface"),
        ("Schoonmaker", "Poetshulp", "Schoonmaakster kantoren"),
        ("Cleaner", "Office cleaner", "Housekeeping staff"),
        ("cleaning",),
    ),
    Sector(
        "construction", True,
        (Nace("41201", "Construction générale de bâtiments résidentiels",
              "Algemene bouw van residentiële gebouwen"),
         Nace("43341", "Travaux de peinture de bâtiments", "Schilderen van gebouwen"),
         Nace("43320", "Travaux de menuiserie", "Schrijnwerk")),
        ("Construction {last}", "{last} et Fils", "Rénovation {word}", "Toitures {last}"),
        ("Bouwwerken {last}", "{last} en Zonen", "Renovatie {word}", "Dakwerken {last}"),
        ("Maçon", "Manœuvre", "Carreleur", "Peintre en bâtiment", "Coffreur"),
        ("Metselaar", "Bouwvakker", "Tegelzetter", "Schilder", "Dakwerker"),
        ("Bricklayer", "Construction worker", "Tiler", "Painter"),
        ("construction", "renovation", "plumbing"),
    ),
    Sector(
        "horeca", True,
        (Nace("56101", "Restauration à service complet", "Eetgelegenheden met volledige bediening"),
         Nace("56301", "Cafés et bars", "Cafés en bars")),
        ("Brasserie {word}", "Restaurant {last}", "Le {word}", "Friterie {place}"),
        ("Brasserie {word}", "Restaurant {last}", "Eethuis {word}", "Frituur {place}"),
        ("Commis de cuisine", "Serveur / Serveuse", "Plongeur", "Cuisinier"),
        ("Keukenhulp", "Kelner", "Afwasser", "Kok"),
        ("Kitchen assistant", "Waiter / Waitress", "Dishwasher", "Cook"),
        (),
    ),
    Sector(
        "night_shop", True,
        (Nace("47111", "Commerce de détail en magasin non spécialisé à prédominance alimentaire",
              "Detailhandel in niet-gespecialiseerde winkels met voedingsmiddelen"),),
        ("Night Shop {place}", "Alimentation {word}", "Superette {last}"),
        ("Nachtwinkel {place}", "Buurtwinkel {word}", "Night Shop {last}"),
        ("Vendeur night shop", "Caissier de nuit"),
        ("Verkoper nachtwinkel", "Nachtkassier"),
        ("Night shop clerk", "Shop assistant (nights)"),
        (),
    ),
    Sector(
        "transport", True,
        (Nace("49410", "Transports routiers de fret", "Goederenvervoer over de weg"),
         Nace("53200", "Autres activités de poste et de courrier",
              "Overige post- en koeriersactiviteiten")),
        ("Transports {last}", "Express {word}", "Logistique {place}"),
        ("Transport {last}", "Koerier {word}", "Logistiek {place}"),
        ("Chauffeur C/CE", "Livreur", "Chauffeur-livreur"),
        ("Chauffeur C/CE", "Koerier", "Bestelwagenchauffeur"),
        ("HGV driver", "Delivery driver", "Courier"),
        ("removals",),
    ),
    Sector(
        "retail", False,
        (Nace("47710", "Commerce de détail d'habillement en magasin spécialisé",
              "Detailhandel in kleding in gespecialiseerde winkels"),),
        ("Boutique {word}", "Mode {last}"),
        ("Boetiek {word}", "Mode {last}"),
        ("Vendeur / Vendeuse", "Responsable de magasin"),
        ("Verkoper / Verkoopster", "Winkelverantwoordelijke"),
        ("Sales assistant", "Store manager"),
        (),
    ),
    Sector(
        "it", False,
        (Nace("62010", "Programmation informatique", "Ontwikkelen van computerprogramma's"),),
        ("{word} Solutions", "Informatique {last}", "{last} Consulting"),
        ("{word} Solutions", "IT {last}", "{last} Consulting"),
        ("Développeur web", "Technicien helpdesk", "Administrateur système"),
        ("Webontwikkelaar", "Helpdeskmedewerker", "Systeembeheerder"),
        ("Software developer", "IT support technician", "Data analyst"),
        (),
    ),
    Sector(
        "care", False,
        (Nace("88101", "Aide à domicile en faveur des personnes âgées",
              "Thuishulp voor ouderen"),),
        ("Aide à Domicile {place}", "Soins {word}"),
        ("Thuiszorg {place}", "Zorg {word}"),
        ("Aide familiale", "Aide-soignant(e)"),
        ("Gezinszorger", "Zorgkundige"),
        ("Home care assistant", "Care worker"),
        ("care", "cleaning"),
    ),
    Sector(
        "bakery", False,
        (Nace("10711", "Fabrication de pain et de pâtisserie fraîche",
              "Vervaardiging van brood en van vers banketbakkerswerk"),),
        ("Boulangerie {last}", "Pâtisserie {word}"),
        ("Bakkerij {last}", "Patisserie {word}"),
        ("Boulanger", "Vendeur en boulangerie"),
        ("Bakker", "Winkelbediende bakkerij"),
        ("Baker", "Bakery sales assistant"),
        (),
    ),
)
SECTORS_BY_KEY = {s.key: s for s in SECTORS}
HIGH_RISK_KEYS = tuple(s.key for s in SECTORS if s.high_risk)

LISTING_CATEGORIES = ("cleaning", "construction", "car wash", "removals", "care", "gardening",
                      "renovation", "plumbing")
LISTING_TITLES = {
    "cleaning": {"fr": "Nettoyage maisons et bureaux", "nl": "Poetsen van huizen en kantoren",
                 "en": "House and office cleaning"},
    "construction": {"fr": "Travaux de maçonnerie et gros œuvre", "nl": "Metselwerken en ruwbouw",
                     "en": "Masonry and building work"},
    "car wash": {"fr": "Lavage auto à domicile", "nl": "Auto wassen aan huis",
                 "en": "Mobile car wash"},
    "removals": {"fr": "Déménagement rapide avec camionnette", "nl": "Verhuis met bestelwagen",
                 "en": "Man with van, removals"},
    "care": {"fr": "Garde de personnes âgées", "nl": "Oppas voor ouderen",
             "en": "Elderly care at home"},
    "gardening": {"fr": "Entretien de jardin, taille de haies",
                  "nl": "Tuinonderhoud, hagen snoeien",
                  "en": "Garden maintenance, hedge trimming"},
    "renovation": {"fr": "Rénovation complète, peinture, carrelage",
                   "nl": "Totaalrenovatie, schilderwerk, tegels",
                   "en": "Full renovation, painting, tiling"},
    "plumbing": {"fr": "Plombier disponible 7j/7", "nl": "Loodgieter 7 op 7 beschikbaar",
                 "en": "Plumber available 7 days a week"},
}

# Wording that betrays exploitation (the risk list of MISSION.md).
EXPLOITATION_PHRASES = {
    "fr": ("Logement fourni.", "Payé en cash chaque semaine.", "Paiement en liquide.",
           "Sans papiers accepté.", "Pas besoin de papiers."),
    "nl": ("Huisvesting voorzien.", "Zwart betaald.", "Geen papieren nodig.",
           "Cash uitbetaald per week."),
    "en": ("Accommodation provided.", "Cash in hand.", "No papers needed.",
           "Paid cash weekly."),
}
