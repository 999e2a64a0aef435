"""Tests of the vocabulary: headers, countries, domains, organisations, yes/no."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
import yaml

from bot.model import CONTRIBUTED_FIELDS, DOMAIN_CODES
from bot.vocabulary import CountryMatch, Vocabulary, normalise

SYNONYMS = Path(__file__).resolve().parents[1] / "synonyms"
USTTB = "Université des Sciences, des Techniques et des Technologies de Bamako"


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary.load(SYNONYMS)


def test_normalise_folds_case_accents_and_punctuation() -> None:
    assert normalise("  Côte d’Ivoire ") == "cote d ivoire"
    assert normalise("ÉTAT D'AVANCEMENT") == "etat d avancement"
    assert normalise("Mots-clés; (k€)") == "mots cles k"
    assert normalise("Œuvre") == "oeuvre"


def test_load_is_fast() -> None:
    started = time.perf_counter()
    Vocabulary.load(SYNONYMS)
    assert time.perf_counter() - started < 1.0


# Headers


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Intitulé du projet", "title"),
        ("Titre", "title"),
        ("Project title", "title"),
        ("Nom du projet", "title"),
        ("Pays", "countries"),
        ("Pays partenaire(s)", "countries"),
        ("Country", "countries"),
        ("Partenaires étrangers", "partners"),
        ("Partenaires", "partners"),
        ("Partenaire(s) étranger(s)", "partners"),
        ("Institutions partenaires", "partners"),
        ("Acteurs français", "french_actors"),
        ("Établissement(s) français", "french_actors"),
        ("Porteur", "french_actors"),
        ("Domaine", "domains"),
        ("Thématique", "domains"),
        ("Date de début", "start_date"),
        ("Début", "start_date"),
        ("Start date", "start_date"),
        ("Date de fin", "end_date"),
        ("Fin", "end_date"),
        ("Période", "period"),
        ("Durée", "period"),
        ("Calendrier", "period"),
        ("Statut", "status"),
        ("État d'avancement", "status"),
        ("Budget", "funding"),
        ("Montant (€)", "funding"),
        ("Montant (k€)", "funding"),
        ("Financement", "funding"),
        ("Bailleurs", "funders"),
        ("Financeurs", "funders"),
        ("Contact", "contact"),
        ("Référent", "contact"),
        ("Site web", "url"),
        ("Lien", "url"),
        ("Mots-clés", "keywords"),
        ("Réf.", "reference"),
        ("Référence", "reference"),
        ("N° projet", "reference"),
        ("Description", "description"),
        ("Objectifs", "description"),
        ("Résumé", "description"),
        ("TITRE DU PROJET*", "title"),
        ("  date   de DÉBUT : ", "start_date"),
    ],
)
def test_known_header_matches_its_field_exactly(
    vocabulary: Vocabulary, header: str, field: str
) -> None:
    match = vocabulary.match_header(header)
    assert match is not None
    assert (match.field, match.exact, match.score, match.confidential) == (
        field,
        True,
        100.0,
        False,
    )


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Titre du prjet", "title"),
        ("Intitulé du prjet", "title"),
        ("Partenaries", "partners"),
        ("Date de débu", "start_date"),
        ("Finacement", "funding"),
        ("Sources de finacement", "funders"),
    ],
)
def test_misspelt_header_matches_fuzzily_with_lower_score(
    vocabulary: Vocabulary, header: str, field: str
) -> None:
    match = vocabulary.match_header(header)
    assert match is not None
    assert match.field == field
    assert not match.exact
    assert 80 <= match.score < 100


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Budget prévisionnel", "funding"),
        ("Date de début prévue", "start_date"),
        ("Pays partenaire principal", "countries"),
    ],
)
def test_header_starting_with_a_synonym_matches_that_field(
    vocabulary: Vocabulary, header: str, field: str
) -> None:
    match = vocabulary.match_header(header)
    assert match is not None
    assert (match.field, match.exact) == (field, False)


@pytest.mark.parametrize(
    "header",
    [
        "Commentaire interne",
        "Observations",
        "Numéro de téléphone du standard",
        "Remarques",
        "Ville",
        "Adresse postale",
        "Date de naissance",
        "Date de mise à jour",
        "Nombre de patients",
        "Type de projet",
        "Site d'intervention en zone rurale",
        "Nom du fichier",
        "",
        "***",
    ],
)
def test_unrelated_header_matches_nothing(vocabulary: Vocabulary, header: str) -> None:
    assert vocabulary.match_header(header) is None


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Budget (confidentiel)", "funding"),
        ("Contact - confidential", "contact"),
        ("Montant (€) - diffusion restreinte", "funding"),
        ("Partenaires (restreint)", "partners"),
    ],
)
def test_header_with_confidentiality_mark_names_the_other_field_as_confidential(
    vocabulary: Vocabulary, header: str, field: str
) -> None:
    match = vocabulary.match_header(header)
    assert match is not None
    assert (match.field, match.confidential) == (field, True)


@pytest.mark.parametrize(
    "header",
    [
        "Confidentiel ?",
        "Projet confidentiel",
        "Confidentiality",
        "Confidentiel (O/N)",
        "Statut de confidentialité",
        "Diffusion restreinte",
    ],
)
def test_header_only_about_confidentiality_names_the_confidential_field(
    vocabulary: Vocabulary, header: str
) -> None:
    match = vocabulary.match_header(header)
    assert match is not None
    assert match.field == "confidential"
    assert not match.confidential


def test_unknown_header_marked_confidential_is_not_matched_but_flagged(
    vocabulary: Vocabulary,
) -> None:
    assert vocabulary.match_header("Commentaire confidentiel") is None
    assert vocabulary.marks_confidential("Commentaire confidentiel")
    assert not vocabulary.marks_confidential("Commentaire interne")


def test_header_synonyms_name_only_contributed_fields() -> None:
    document = yaml.safe_load((SYNONYMS / "headers.yaml").read_text(encoding="utf-8"))
    assert set(document["fields"]) == set(CONTRIBUTED_FIELDS)


# Countries


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("SN", "SN"),
        ("SEN", "SN"),
        ("Sénégal", "SN"),
        ("senegal", "SN"),
        ("SENEGAL", "SN"),
        ("Senegal", "SN"),
        ("le Sénégal", "SN"),
        ("Cote d'Ivoire", "CI"),
        ("Côte d’Ivoire", "CI"),
        ("Ivory Coast", "CI"),
        ("RDC", "CD"),
        ("RD Congo", "CD"),
        ("République démocratique du Congo", "CD"),
        ("Congo-Kinshasa", "CD"),
        ("Congo Brazzaville", "CG"),
        ("Royaume-Uni", "GB"),
        ("UK", "GB"),
        ("Angleterre", "GB"),
        ("USA", "US"),
        ("États-Unis", "US"),
        ("Viet Nam", "VN"),
        ("Vietnam", "VN"),
        ("Corée du Sud", "KR"),
        ("Korea, Republic of", "KR"),
        ("Republic of Korea", "KR"),
        ("Laos", "LA"),
        ("Syrie", "SY"),
        ("Russie", "RU"),
        ("Tchéquie", "CZ"),
        ("Pays-Bas", "NL"),
        ("Hollande", "NL"),
        ("the Netherlands", "NL"),
        ("Birmanie", "MM"),
        ("Cap-Vert", "CV"),
        ("Eswatini", "SZ"),
        ("Swaziland", "SZ"),
        ("Turquie", "TR"),
        ("Palestine", "PS"),
        ("Kosovo", "XK"),
        ("France", "FR"),
        ("Germany", "DE"),
        ("Allemagne", "DE"),
        ("Afrique du Sud", "ZA"),
        ("Niger", "NE"),
        ("Nigeria", "NG"),
        ("Cambodge", "KH"),
        ("Sénégal (Dakar)", "SN"),
    ],
)
def test_country_names_codes_and_aliases_are_understood(
    vocabulary: Vocabulary, text: str, code: str
) -> None:
    match = vocabulary.country(text)
    assert match.code == code
    assert match.how in ("code", "name", "alias")
    assert match.suggestion is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("sénégalais", "SN"),
        ("Sénégalaises", "SN"),
        ("malien", "ML"),
        ("malienne", "ML"),
        ("ivoirien", "CI"),
        ("ivoiriens", "CI"),
        ("marocaine", "MA"),
        ("vietnamienne", "VN"),
        ("béninois", "BJ"),
        ("camerounaises", "CM"),
        ("libanais", "LB"),
    ],
)
def test_unambiguous_demonyms_name_their_country(
    vocabulary: Vocabulary, text: str, code: str
) -> None:
    assert vocabulary.country(text) == CountryMatch(code, "demonym", None)


def test_ambiguous_demonym_is_not_a_country(vocabulary: Vocabulary) -> None:
    assert vocabulary.country("congolais").how != "demonym"
    assert vocabulary.country("guinéen").how != "demonym"


@pytest.mark.parametrize(
    ("text", "code"),
    [("Sengal", "SN"), ("Madagscar", "MG"), ("Camboge", "KH"), ("Autrich", "AT")],
)
def test_misspelt_country_is_accepted_fuzzily_with_suggestion(
    vocabulary: Vocabulary, text: str, code: str
) -> None:
    match = vocabulary.country(text)
    assert (match.code, match.how, match.suggestion) == (code, "fuzzy", code)


def test_distant_misspelling_gives_only_a_suggestion(vocabulary: Vocabulary) -> None:
    match = vocabulary.country("Madagaskaar")
    assert match.code is None
    assert match.how == "unknown"
    assert match.suggestion == "MG"


@pytest.mark.parametrize("word", ["de", "la", "et", "sn", "Sn", "mar", "and", "eau"])
def test_short_lowercase_words_are_not_country_codes(
    vocabulary: Vocabulary, word: str
) -> None:
    assert vocabulary.country(word).code is None


def test_short_uppercase_token_is_a_code_only_when_it_exists(
    vocabulary: Vocabulary,
) -> None:
    assert vocabulary.country("DE").code == "DE"
    assert vocabulary.country("EAU").code == "AE"
    assert vocabulary.country("QQ").code is None


@pytest.mark.parametrize(
    "region",
    [
        "Afrique de l'Ouest",
        "Europe",
        "Monde",
        "Afrique subsaharienne",
        "Asie du Sud-Est",
        "Union européenne",
        "International",
        "Afrique centrale",
    ],
)
def test_regions_are_not_countries_and_get_no_suggestion(
    vocabulary: Vocabulary, region: str
) -> None:
    match = vocabulary.country(region)
    assert (match.code, match.how, match.suggestion) == (None, "unknown", None)


@pytest.mark.parametrize("text", ["Dakar", "Xyzzyland", "Paris", "", "   "])
def test_non_country_is_unknown(vocabulary: Vocabulary, text: str) -> None:
    match = vocabulary.country(text)
    assert match.code is None
    assert match.how == "unknown"


def test_country_lookup_is_cheap(vocabulary: Vocabulary) -> None:
    texts = ["Sénégal", "Sengal", "Afrique de l'Ouest", "SN", "Xyzzyland"] * 200
    started = time.perf_counter()
    for text in texts:
        vocabulary.country(text)
    assert (time.perf_counter() - started) / len(texts) < 0.002


def test_country_name_is_french(vocabulary: Vocabulary) -> None:
    assert vocabulary.country_name("SN") == "Sénégal"
    assert vocabulary.country_name("de") == "Allemagne"
    assert vocabulary.country_name("XK") == "Kosovo"
    assert vocabulary.country_name("ZZ") == "ZZ"


# Domains


def test_free_text_domains_yield_every_code_found(vocabulary: Vocabulary) -> None:
    assert vocabulary.domains("Recherche clinique et formation des soignants") == (
        ["recherche-clinique", "formation"],
        [],
    )


def test_e_health_and_telemedicine_are_one_digital_domain(
    vocabulary: Vocabulary,
) -> None:
    assert vocabulary.domains("e-santé / télémédecine") == (["numerique"], [])


def test_one_health_spans_environment_and_surveillance(
    vocabulary: Vocabulary,
) -> None:
    codes, unrecognised = vocabulary.domains("One Health")
    assert set(codes) == {"environnement", "veille-sanitaire"}
    assert unrecognised == []


def test_unrecognised_domain_parts_are_returned(vocabulary: Vocabulary) -> None:
    assert vocabulary.domains("Recherche clinique et astronomie") == (
        ["recherche-clinique"],
        ["astronomie"],
    )
    assert vocabulary.domains("Veille sanitaire, formation, cuisine") == (
        ["veille-sanitaire", "formation"],
        ["cuisine"],
    )


def test_phrase_containing_et_stays_one_domain(vocabulary: Vocabulary) -> None:
    assert vocabulary.domains("Qualité et sécurité des soins") == (
        ["qualite-des-soins"],
        [],
    )


def test_english_and_misspelt_domains_are_understood(vocabulary: Vocabulary) -> None:
    assert vocabulary.domains("Clinical research; Training")[0] == [
        "recherche-clinique",
        "formation",
    ]
    assert vocabulary.domains("Recherche clinque")[0] == ["recherche-clinique"]


def test_diseases_are_topics_not_domains(vocabulary: Vocabulary) -> None:
    assert vocabulary.domains("Paludisme") == ([], ["Paludisme"])
    assert "malaria" in vocabulary.topics["paludisme"]
    assert "hiv" in vocabulary.topics["vih"]


def test_every_domain_code_has_synonyms() -> None:
    document = yaml.safe_load((SYNONYMS / "domains.yaml").read_text(encoding="utf-8"))
    assert set(document["domains"]) == set(DOMAIN_CODES)


# Organisations


@pytest.mark.parametrize(
    ("text", "name", "country"),
    [
        ("AP-HP", "Assistance Publique – Hôpitaux de Paris", "FR"),
        ("aphp", "Assistance Publique – Hôpitaux de Paris", "FR"),
        ("HCL", "Hospices Civils de Lyon", "FR"),
        ("hospices civils de lyon", "Hospices Civils de Lyon", "FR"),
        ("INSERM", "Inserm", "FR"),
        ("IRD", "Institut de recherche pour le développement", "FR"),
        ("Institut Pasteur de Dakar", "Institut Pasteur de Dakar", "SN"),
        ("Institut Pasteur", "Institut Pasteur", "FR"),
        ("IHU Imagine", "Institut Imagine", "FR"),
        ("ANRS", "ANRS | Maladies infectieuses émergentes", "FR"),
        ("MEAE", "Ministère de l'Europe et des Affaires étrangères", "FR"),
        ("WHO", "Organisation mondiale de la santé", None),
        ("OMS", "Organisation mondiale de la santé", None),
        ("World Health Organization", "Organisation mondiale de la santé", None),
        ("UNAIDS", "ONUSIDA", None),
        ("UCAD", "Université Cheikh Anta Diop", "SN"),
        ("Université de Bamako", USTTB, "ML"),
        ("Charité", "Charité – Universitätsmedizin Berlin", "DE"),
        ("Karolinska", "Karolinska Institutet", "SE"),
    ],
)
def test_known_organisations_get_their_canonical_name(
    vocabulary: Vocabulary, text: str, name: str, country: str | None
) -> None:
    match = vocabulary.organisation(text)
    assert match.known
    assert (match.name, match.country) == (name, country)


def test_long_organisation_name_with_typo_matches(vocabulary: Vocabulary) -> None:
    assert vocabulary.organisation("Universite Cheik Anta Diop").acronym == "UCAD"
    assert vocabulary.organisation("CHU de Bordeau").name == "CHU de Bordeaux"


@pytest.mark.parametrize(
    "text", ["CHU de Toulon", "Institut Pasteur de Lille", "CHU de Brest", "UCA"]
)
def test_similar_but_different_organisation_is_not_matched(
    vocabulary: Vocabulary, text: str
) -> None:
    match = vocabulary.organisation(text)
    assert not match.known
    assert match.name == text


def test_unknown_organisation_keeps_cleaned_input(vocabulary: Vocabulary) -> None:
    match = vocabulary.organisation("  Hôpital   régional de Ziguinchor ; ")
    assert (match.name, match.known, match.country) == (
        "Hôpital régional de Ziguinchor",
        False,
        None,
    )


# Yes or no


@pytest.mark.parametrize(
    ("value", "answer"),
    [
        ("oui", True),
        ("Oui", True),
        ("non", False),
        ("yes", True),
        ("No", False),
        ("x", True),
        ("X", True),
        ("1", True),
        ("0", False),
        ("true", True),
        ("FALSE", False),
        ("vrai", True),
        ("faux", False),
        ("Confidentiel", True),
        ("public", False),
        ("Non confidentiel", False),
        ("Diffusion restreinte", True),
        ("", False),
        ("  ", False),
        (None, False),
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        (1.0, True),
    ],
)
def test_yes_no_understands_usual_answers(
    vocabulary: Vocabulary, value: object, answer: bool
) -> None:
    assert vocabulary.yes_no(value) is answer


@pytest.mark.parametrize("value", ["peut-être", "oui/non", "à voir", 2, -1, 0.5])
def test_yes_no_returns_none_when_not_understood(
    vocabulary: Vocabulary, value: object
) -> None:
    assert vocabulary.yes_no(value) is None


# Loading


def _copy_synonyms(tmp_path: Path) -> Path:
    target = tmp_path / "synonyms"
    shutil.copytree(SYNONYMS, target)
    return target


def test_unquoted_yaml_boolean_is_refused(tmp_path: Path) -> None:
    directory = _copy_synonyms(tmp_path)
    headers = directory / "headers.yaml"
    headers.write_text(
        headers.read_text(encoding="utf-8").replace('  - "yes"', "  - yes"),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="quotes"):
        Vocabulary.load(directory)


def test_unknown_field_in_headers_is_refused(tmp_path: Path) -> None:
    directory = _copy_synonyms(tmp_path)
    headers = directory / "headers.yaml"
    headers.write_text(
        headers.read_text(encoding="utf-8").replace("  keywords:", "  keyword:"),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="keyword"):
        Vocabulary.load(directory)


def test_added_organisation_is_recognised_after_reload(tmp_path: Path) -> None:
    directory = _copy_synonyms(tmp_path)
    organisations = directory / "organisations.yaml"
    organisations.write_text(
        organisations.read_text(encoding="utf-8")
        + "  - name: Hôpital Principal de Dakar\n"
        + "    acronym: HPD\n    country: SN\n    kind: hospital\n",
        encoding="utf-8",
    )
    match = Vocabulary.load(directory).organisation("hpd")
    assert (match.name, match.country) == ("Hôpital Principal de Dakar", "SN")
