//! Gmail's batch endpoint from the app's side: the answer's parts read whatever order and line
//! endings Google sends, and a part that fails is the part's failure, not the batch's
//! (https://developers.google.com/workspace/gmail/api/guides/batch).

use cremmy_core::providers::google::gmail_batch::{parse_answer, request_body, PartAnswer};
use cremmy_protocol::accounts::Feature;
use cremmy_protocol::sync::SyncRunStatus;
use serde_json::json;

use crate::accounts_support::connect;
use crate::mail_sync::{mail_world, post, requests, seed_mail, sync_once, two_clients};

fn part(id: &str, status: u16, retry_after: Option<u64>, body: &str) -> PartAnswer {
    PartAnswer {
        content_id: id.into(),
        status,
        retry_after: retry_after.map(std::time::Duration::from_secs),
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn batch_answers_are_read_part_by_part() {
    let crlf = "--b1\r\nContent-Type: application/http\r\nContent-ID: <response-1>\r\n\r\n\
                HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Type: application/json\r\n\r\n{\"error\":{}}\r\n\
                --b1\r\nContent-Type: application/http\r\nContent-ID: <response-0>\r\n\r\n\
                HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{\"id\":\"m0\"}\r\n--b1--\r\n";
    let lf = "preamble\n--b2\nContent-Type: application/http\nContent-ID: <response-0>\n\nHTTP/1.1 404 Not Found\n\n{}\n--b2--";
    let cases: Vec<(&str, &str, &str, Option<Vec<PartAnswer>>)> = vec![
        (
            "parts in another order than asked, with a Retry-After, CRLF",
            "multipart/mixed; boundary=b1",
            crlf,
            Some(vec![
                part("1", 429, Some(7), "{\"error\":{}}"),
                part("0", 200, None, "{\"id\":\"m0\"}"),
            ]),
        ),
        (
            "a quoted boundary, bare LF line ends and a preamble",
            "multipart/mixed; boundary=\"b2\"",
            lf,
            Some(vec![part("0", 404, None, "{}")]),
        ),
        (
            "no boundary in the content type",
            "multipart/mixed",
            crlf,
            None,
        ),
        (
            "an answer cut before its closing delimiter",
            "multipart/mixed; boundary=b1",
            &crlf[..crlf.len() - 8],
            None,
        ),
    ];
    for (why, content_type, body, expected) in cases {
        assert_eq!(
            parse_answer(content_type, body.as_bytes()),
            expected,
            "{why}"
        );
    }
    let body = request_body(&["/gmail/v1/users/me/messages/a".into()]);
    assert!(
        body.contains("Content-Type: application/http\r\nContent-ID: <0>\r\n\r\nGET /gmail/v1/users/me/messages/a\r\n"),
        "each call is a whole request in an application/http part named by its index: {body}"
    );
}

#[tokio::test]
async fn a_part_that_fails_is_fetched_alone_and_a_gone_one_is_skipped() {
    let w = mail_world().await;
    seed_mail(&w).await;
    two_clients(&w).await;
    connect(&w.t, &[Feature::MailIngest]).await;
    // The third get is refused outright (403, not a rate limit): fetched again alone through the
    // call policy. The sixth is gone (404): the message was deleted meanwhile, nothing to fetch.
    post(
        &w,
        "faults",
        json!({ "rules": [
            { "path": "/gmail/v1/users/me/messages/", "after": 2, "times": 1,
              "fault": { "kind": "status", "status": 403, "reason": "forbidden" } },
            { "path": "/gmail/v1/users/me/messages/", "after": 2, "times": 1,
              "fault": { "kind": "status", "status": 404 } },
        ] }),
    )
    .await;
    let run = sync_once(&w, false).await;
    assert_eq!(run.status, SyncRunStatus::Ok, "{run:?}");
    assert_eq!(
        run.fetched, 11,
        "12 seeded messages, one gone between listing and reading: {run:?}"
    );
    assert_eq!(
        run.api_calls,
        1 + 1 + 1 + 1,
        "profile, list, one batch, one messages.get alone for the refused part: {run:?}"
    );
    let gets = requests(&w, |m, p| {
        m == "GET" && p.starts_with("/gmail/v1/users/me/messages/")
    });
    assert_eq!(
        gets.len(),
        13,
        "12 parts and the refused one again: {gets:?}"
    );
}
