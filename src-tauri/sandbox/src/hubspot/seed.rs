//! What a new sandbox HubSpot account holds: the stock deal pipeline, the standard properties of
//! companies, contacts and deals (a subset), and a small book of business — two won customers,
//! a won deal with a contact and no company, an open deal and a lost one.

use std::collections::BTreeMap;

use super::HubSpotState;

/// The stock stages of the `default` pipeline: id, label, probability
/// (…/crm/pipelines guide; `closedwon` / `closedlost` are closed).
pub const DEAL_STAGES: [(&str, &str, &str); 7] = [
    ("appointmentscheduled", "Appointment Scheduled", "0.2"),
    ("qualifiedtobuy", "Qualified To Buy", "0.4"),
    ("presentationscheduled", "Presentation Scheduled", "0.6"),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8"),
    ("contractsent", "Contract Sent", "0.9"),
    ("closedwon", "Closed Won", "1.0"),
    ("closedlost", "Closed Lost", "0.0"),
];

pub struct PropertyDef {
    pub name: &'static str,
    pub label: &'static str,
    /// `string`, `number`, `datetime`, `date`, `enumeration`.
    pub kind: &'static str,
    pub field_type: &'static str,
    pub read_only: bool,
    pub unique: bool,
}

const fn def(name: &'static str, label: &'static str, kind: &'static str) -> PropertyDef {
    let field_type = match kind.as_bytes()[0] {
        b'n' => "number",
        b'e' => "select",
        b'd' => "date",
        _ => "text",
    };
    PropertyDef {
        name,
        label,
        kind,
        field_type,
        read_only: false,
        unique: false,
    }
}

const fn read_only(mut d: PropertyDef) -> PropertyDef {
    d.read_only = true;
    d
}

const fn unique(mut d: PropertyDef) -> PropertyDef {
    d.unique = true;
    d
}

const COMPANY: [PropertyDef; 9] = [
    def("name", "Company name", "string"),
    def("domain", "Company domain name", "string"),
    def("website", "Website URL", "string"),
    def("phone", "Phone number", "string"),
    def("city", "City", "string"),
    def("industry", "Industry", "string"),
    read_only(def("hs_object_id", "Record ID", "number")),
    read_only(def("createdate", "Create Date", "datetime")),
    read_only(def("hs_lastmodifieddate", "Last Modified Date", "datetime")),
];

const CONTACT: [PropertyDef; 10] = [
    unique(def("email", "Email", "string")),
    def("firstname", "First Name", "string"),
    def("lastname", "Last Name", "string"),
    def("phone", "Phone Number", "string"),
    def("jobtitle", "Job Title", "string"),
    def("company", "Company Name", "string"),
    def("lifecyclestage", "Lifecycle Stage", "enumeration"),
    read_only(def("hs_object_id", "Record ID", "number")),
    read_only(def("createdate", "Create Date", "datetime")),
    read_only(def("lastmodifieddate", "Last Modified Date", "datetime")),
];

const DEAL: [PropertyDef; 10] = [
    def("dealname", "Deal Name", "string"),
    def("amount", "Amount", "number"),
    def("deal_currency_code", "Currency", "enumeration"),
    def("dealstage", "Deal Stage", "enumeration"),
    def("pipeline", "Pipeline", "enumeration"),
    def("closedate", "Close Date", "datetime"),
    def("description", "Deal Description", "string"),
    read_only(def("hs_object_id", "Record ID", "number")),
    read_only(def("createdate", "Create Date", "datetime")),
    read_only(def("hs_lastmodifieddate", "Last Modified Date", "datetime")),
];

pub fn properties_of(object_type: &str) -> Option<&'static [PropertyDef]> {
    match object_type {
        "companies" => Some(&COMPANY),
        "contacts" => Some(&CONTACT),
        "deals" => Some(&DEAL),
        _ => None,
    }
}

pub fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn seed(s: &mut HubSpotState) {
    let northwind = s.insert(
        "companies",
        props(&[
            ("name", "Northwind Traders"),
            ("domain", "northwind.example"),
            ("city", "Leeds"),
        ]),
    );
    let fabrikam = s.insert(
        "companies",
        props(&[("name", "Fabrikam Ltd"), ("domain", "fabrikam.example")]),
    );
    let contoso = s.insert(
        "companies",
        props(&[("name", "Contoso Prospects"), ("domain", "contoso.example")]),
    );
    let nancy = s.insert(
        "contacts",
        props(&[
            ("email", "nancy@northwind.example"),
            ("firstname", "Nancy"),
            ("lastname", "Davolio"),
            ("jobtitle", "Head of Operations"),
            ("phone", "+44 113 496 0000"),
        ]),
    );
    let ravi = s.insert(
        "contacts",
        props(&[
            ("email", "ravi@fabrikam.example"),
            ("firstname", "Ravi"),
            ("lastname", "Patel"),
        ]),
    );
    let solo = s.insert(
        "contacts",
        props(&[
            ("email", "mia.solo@freelance.example"),
            ("firstname", "Mia"),
            ("lastname", "Solo"),
        ]),
    );
    let prospect = s.insert(
        "contacts",
        props(&[
            ("email", "chris@contoso.example"),
            ("firstname", "Chris"),
            ("lastname", "Meyer"),
        ]),
    );
    s.associate("contacts", nancy, "companies", northwind);
    s.associate("contacts", ravi, "companies", fabrikam);
    s.associate("contacts", prospect, "companies", contoso);
    let deals = [
        (
            "Northwind retainer 2026",
            "12000",
            "closedwon",
            Some(northwind),
            Some(nancy),
        ),
        (
            "Fabrikam audit",
            "4500.50",
            "closedwon",
            Some(fabrikam),
            Some(ravi),
        ),
        ("Mia's brand refresh", "1800", "closedwon", None, Some(solo)),
        (
            "Contoso discovery",
            "3000",
            "qualifiedtobuy",
            Some(contoso),
            Some(prospect),
        ),
        (
            "Fabrikam phase 2",
            "9000",
            "closedlost",
            Some(fabrikam),
            None,
        ),
    ];
    for (name, amount, stage, company, contact) in deals {
        let id = s.insert(
            "deals",
            props(&[
                ("dealname", name),
                ("amount", amount),
                ("deal_currency_code", "GBP"),
                ("dealstage", stage),
                ("pipeline", "default"),
                ("closedate", "2026-06-30T00:00:00Z"),
            ]),
        );
        if let Some(company) = company {
            s.associate("deals", id, "companies", company);
        }
        if let Some(contact) = contact {
            s.associate("deals", id, "contacts", contact);
        }
    }
}
