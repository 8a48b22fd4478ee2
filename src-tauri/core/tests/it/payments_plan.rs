//! Payments' pure halves, table by table: the planner that turns a provider's changes into
//! writes (only Cremmy's invoices and links), and Stripe's events read as payment changes.

use cremmy_protocol::payments::InvoiceStatus;
use serde_json::{json, Value};

#[test]
fn the_planner_writes_only_what_concerns_cremmys_invoices_and_links() {
    use cremmy_core::features::payments::{plan, Known, PaymentChange, PaymentOp, RemoteInvoice};
    let known = Known {
        invoices: [("in_1".to_string(), (10, 1, Some(5)))].into(),
        links: [("plink_1".to_string(), (20, 2, None))].into(),
    };
    let invoice = |id: &str| RemoteInvoice {
        remote_id: id.into(),
        status: InvoiceStatus::Paid,
        currency: "EUR".into(),
        total_minor: 100,
        paid_minor: 100,
        due_at: None,
        number: Some("A-1".into()),
        url: None,
    };
    let paid = |id: &str, invoice: Option<&str>, link: Option<&str>| PaymentChange::Paid {
        remote_id: id.into(),
        invoice: invoice.map(String::from),
        link: link.map(String::from),
        currency: "EUR".into(),
        amount_minor: 100,
        at: 7,
    };
    let record = |id: &str, client: i64, deal: Option<i64>, inv: Option<i64>, link: Option<i64>| {
        PaymentOp::RecordPayment {
            remote_id: id.into(),
            client_id: client,
            deal_id: deal,
            invoice_id: inv,
            link_id: link,
            currency: "EUR".into(),
            amount_minor: 100,
            at: 7,
        }
    };
    let cases: Vec<(&str, Vec<PaymentChange>, Vec<PaymentOp>)> = vec![
        ("nothing happened", vec![], vec![]),
        (
            "our invoice changed",
            vec![PaymentChange::Invoice(invoice("in_1"))],
            vec![PaymentOp::SetInvoice {
                invoice_id: 10,
                state: invoice("in_1"),
            }],
        ),
        (
            "someone else's invoice is left alone",
            vec![
                PaymentChange::Invoice(invoice("in_other")),
                paid("pi_x", Some("in_other"), None),
            ],
            vec![],
        ),
        (
            "a payment to our invoice is the deal's",
            vec![paid("pi_1", Some("in_1"), None)],
            vec![record("pi_1", 1, Some(5), Some(10), None)],
        ),
        (
            "a payment through our link",
            vec![paid("pi_2", None, Some("plink_1"))],
            vec![record("pi_2", 2, None, None, Some(20))],
        ),
        (
            "a refund is passed on (the store knows whether the payment is ours)",
            vec![PaymentChange::Refunded {
                payment: "pi_1".into(),
                refunded_minor: 40,
                at: 9,
            }],
            vec![PaymentOp::Refund {
                payment: "pi_1".into(),
                refunded_minor: 40,
                at: 9,
            }],
        ),
    ];
    for (case, changes, want) in cases {
        assert_eq!(plan(&known, &changes), want, "{case}");
    }
}

#[test]
fn stripe_events_read_as_payment_changes() {
    use cremmy_core::features::payments::PaymentChange;
    use cremmy_core::providers::stripe::gateway::change_of;
    use cremmy_core::providers::stripe::WireEvent;
    let event = |kind: &str, object: Value| -> WireEvent {
        serde_json::from_value(json!({ "id": "evt_1", "created": 1_700_000_000, "type": kind, "data": { "object": object } }))
            .unwrap()
    };
    let intent = json!({ "id": "pi_1", "amount": 500, "amount_received": 500, "currency": "eur", "invoice": "in_1" });
    assert_eq!(
        change_of(&event("payment_intent.succeeded", intent)),
        Some(PaymentChange::Paid {
            remote_id: "pi_1".into(),
            invoice: Some("in_1".into()),
            link: None,
            currency: "EUR".into(),
            amount_minor: 500,
            at: 1_700_000_000_000,
        })
    );
    let link_intent = json!({ "id": "pi_2", "amount": 500, "currency": "eur", "invoice": null });
    assert_eq!(
        change_of(&event("payment_intent.succeeded", link_intent)),
        None,
        "a link's payment comes with its checkout session, not twice"
    );
    let session = json!({ "id": "cs_1", "payment_intent": "pi_2", "payment_link": "plink_1", "amount_total": 500, "currency": "eur" });
    assert!(matches!(
        change_of(&event("checkout.session.completed", session)),
        Some(PaymentChange::Paid { ref remote_id, link: Some(_), .. }) if remote_id == "pi_2"
    ));
    let refund =
        json!({ "id": "ch_1", "payment_intent": "pi_2", "amount": 500, "amount_refunded": 200 });
    assert_eq!(
        change_of(&event("charge.refunded", refund)),
        Some(PaymentChange::Refunded {
            payment: "pi_2".into(),
            refunded_minor: 200,
            at: 1_700_000_000_000
        })
    );
    let invoice = json!({ "id": "in_1", "customer": "cus_1", "status": "void", "currency": "eur", "total": 500, "amount_paid": 0, "created": 1 });
    assert!(matches!(
        change_of(&event("invoice.voided", invoice)),
        Some(PaymentChange::Invoice(ref i)) if i.status == InvoiceStatus::Void && i.currency == "EUR"
    ));
    assert_eq!(
        change_of(&event("customer.created", json!({ "id": "cus_1" }))),
        None
    );
}
