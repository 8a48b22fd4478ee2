//! `cremmy://` links are untrusted: a refused one is not repeated back to the user, and what
//! arrives before the window subscribes is kept only up to a bound.

use cremmy_core::deep_link::{classify, Backlog, DeepLinkError};

#[test]
fn a_refused_link_is_not_echoed_back() {
    let hostile = [
        "cremmy://settings/../../etc/passwd",
        "cremmy://Your-account-is-locked-call-555-0100",
        "cremmy://client/12?then=evil",
        "cremmy://user:pw@client/1",
    ];
    for link in hostile {
        let e = classify(link).expect_err(link);
        assert!(matches!(e, DeepLinkError::Unknown), "{link}: {e:?}");
        let message = e.to_string();
        for piece in ["passwd", "locked", "555", "evil", "pw@"] {
            assert!(
                !message.contains(piece),
                "the message repeats the link's text ({piece}): {message}"
            );
        }
    }
}

#[test]
fn the_backlog_keeps_only_the_newest() {
    let mut backlog = Backlog::default();
    for i in 0..(Backlog::<usize>::CAP + 10) {
        backlog.push(i);
    }
    let kept = backlog.take();
    assert_eq!(kept.len(), Backlog::<usize>::CAP, "bounded");
    assert_eq!(kept.first(), Some(&10), "the oldest went first");
    assert_eq!(kept.last(), Some(&(Backlog::<usize>::CAP + 9)), "in order");
    assert!(backlog.take().is_empty(), "taken once");
}
