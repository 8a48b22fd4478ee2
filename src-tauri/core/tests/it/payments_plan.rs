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
        ..Default::default()
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
    // Since 2025-03-31.basil a PaymentIntent names no invoice: its event is not read at all (an
    // invoice's payments come from its InvoicePayments, a link's from its checkout session).
    let intent = json!({ "id": "pi_1", "amount": 500, "amount_received": 500, "currency": "eur" });
    assert_eq!(change_of(&event("payment_intent.succeeded", intent)), None);
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

#[test]
fn an_invoice_payment_reads_as_a_payment_known_by_its_payment_intent() {
    use cremmy_core::features::payments::PaymentChange;
    use cremmy_core::providers::stripe::gateway::payment_of;
    use cremmy_core::providers::stripe::WireInvoicePayment;
    // The object as https://docs.stripe.com/api/invoice-payment/object shows it.
    let wire = |v: Value| -> WireInvoicePayment { serde_json::from_value(v).unwrap() };
    let paid = json!({
        "id": "inpay_1", "object": "invoice_payment", "amount_paid": 2000, "amount_requested": 2000,
        "created": 1_391_288_000, "currency": "usd", "invoice": "in_1", "is_default": true,
        "livemode": false, "payment": { "type": "payment_intent", "payment_intent": "pi_1" },
        "status": "paid", "status_transitions": { "canceled_at": null, "paid_at": 1_391_288_554 }
    });
    assert_eq!(
        payment_of(&wire(paid.clone())),
        Some(PaymentChange::Paid {
            remote_id: "pi_1".into(),
            invoice: Some("in_1".into()),
            link: None,
            currency: "USD".into(),
            amount_minor: 2000,
            at: 1_391_288_554_000,
        }),
        "keyed by the PaymentIntent, which is what charge.refunded names"
    );
    let mut by_charge = paid.clone();
    by_charge["payment"] = json!({ "type": "charge", "charge": "ch_9" });
    assert!(
        matches!(payment_of(&wire(by_charge)), Some(PaymentChange::Paid { ref remote_id, .. }) if remote_id == "ch_9"),
        "a charge without a PaymentIntent is known by the charge"
    );
    let mut open = paid;
    open["amount_paid"] = Value::Null;
    open["status"] = json!("open");
    assert_eq!(payment_of(&wire(open)), None, "nothing paid yet");
}

#[test]
fn payments_are_read_for_known_invoices_whose_paid_amount_rose() {
    use cremmy_core::features::payments::{payments_to_read, Known, PaymentChange, RemoteInvoice};
    let known = Known {
        invoices: [
            ("in_1".to_string(), (10, 1, None)),
            ("in_2".to_string(), (11, 1, None)),
        ]
        .into(),
        paid: [("in_1".to_string(), 0), ("in_2".to_string(), 300)].into(),
        ..Default::default()
    };
    let state = |id: &str, paid: i64| {
        PaymentChange::Invoice(RemoteInvoice {
            remote_id: id.into(),
            status: InvoiceStatus::Open,
            currency: "EUR".into(),
            total_minor: 1000,
            paid_minor: paid,
            due_at: None,
            number: None,
            url: None,
        })
    };
    let cases: Vec<(&str, Vec<PaymentChange>, Vec<&str>)> = vec![
        ("nothing changed", vec![], vec![]),
        ("finalised, nothing paid", vec![state("in_1", 0)], vec![]),
        ("part paid", vec![state("in_1", 400)], vec!["in_1"]),
        (
            "two events of one payment ask once",
            vec![state("in_1", 1000), state("in_1", 1000)],
            vec!["in_1"],
        ),
        (
            "already known paid amount",
            vec![state("in_2", 300)],
            vec![],
        ),
        (
            "each invoice whose amount rose, in order",
            vec![state("in_2", 1000), state("in_1", 5)],
            vec!["in_2", "in_1"],
        ),
        (
            "someone else's invoice is not asked about",
            vec![state("in_other", 1000)],
            vec![],
        ),
    ];
    for (case, changes, want) in cases {
        assert_eq!(payments_to_read(&known, &changes), want, "{case}");
    }
}
