use crate::support::*;

#[tokio::test]
async fn consent_redirects_with_code_and_state_and_the_code_is_single_use() {
    let sb = sandbox().await;
    let (verifier, challenge) = pkce_pair("verifier-0123456789-0123456789-0123456789-abcdef");
    let r = authorize(&sb, &challenge, GMAIL_READ, "state-42").await;
    assert_eq!(r.status().as_u16(), 302);
    let params = location_params(&r);
    assert_eq!(
        param(&params, "state").as_deref(),
        Some("state-42"),
        "state must come back unchanged"
    );
    let code = param(&params, "code").expect("a code");
    let (status, token) = exchange(&sb, &code, &verifier).await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["token_type"], "Bearer");
    assert!(
        json_of(&token, "access_token").starts_with("ya29."),
        "{token}"
    );
    assert!(
        json_of(&token, "refresh_token").starts_with("1//"),
        "{token}"
    );
    assert_eq!(token["scope"], GMAIL_READ);
    let (again, err) = exchange(&sb, &code, &verifier).await;
    assert_eq!(
        (again, err["error"].as_str()),
        (400, Some("invalid_grant")),
        "a code works once"
    );
}

#[tokio::test]
async fn a_wrong_pkce_verifier_or_client_secret_is_rejected() {
    let sb = sandbox().await;
    let (_, challenge) = pkce_pair("the-right-verifier-0123456789-0123456789-012345");
    let code = param(
        &location_params(&authorize(&sb, &challenge, GMAIL_READ, "s").await),
        "code",
    )
    .unwrap();
    let (status, err) = exchange(
        &sb,
        &code,
        "a-different-verifier-0123456789-0123456789-0123",
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (400, Some("invalid_grant")),
        "PKCE S256 is checked: {err}"
    );

    let s = sb.shared.lock().google.settings.clone();
    let r = http()
        .post(format!("{}token", sb.base_url()))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", s.client_id.as_str()),
            ("client_secret", "wrong"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"],
        "invalid_client"
    );

    // No secret at all: a required parameter is missing (RFC 6749 §5.2 invalid_request).
    let r = http()
        .post(format!("{}token", sb.base_url()))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", s.client_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (body["error"].as_str(), body["error_description"].as_str()),
        (Some("invalid_request"), Some("client_secret is missing."))
    );
}

#[tokio::test]
async fn denial_and_missing_pkce_come_back_as_redirect_errors() {
    let sb = sandbox().await;
    let (_, challenge) = pkce_pair("verifier-0123456789-0123456789-0123456789-abcdef");
    sb.shared.lock().google.settings.consent = false;
    let denied = location_params(&authorize(&sb, &challenge, GMAIL_READ, "s1").await);
    assert_eq!(param(&denied, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&denied, "state").as_deref(), Some("s1"));
    assert!(param(&denied, "code").is_none());
    sb.shared.lock().google.settings.consent = true;
    let no_pkce = location_params(&authorize(&sb, "", GMAIL_READ, "s2").await);
    assert_eq!(
        param(&no_pkce, "error").as_deref(),
        Some("invalid_request"),
        "public clients must use PKCE"
    );
}

#[tokio::test]
async fn refresh_works_until_the_grant_is_revoked_then_invalid_grant() {
    let sb = sandbox().await;
    let token = connect(&sb, GMAIL_READ).await;
    let refresh = json_of(&token, "refresh_token");
    let s = sb.shared.lock().google.settings.clone();
    let refresh_once = || async {
        let r = http()
            .post(format!("{}token", sb.base_url()))
            .basic_auth(&s.client_id, Some(&s.client_secret))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.as_str()),
            ])
            .send()
            .await
            .unwrap();
        (
            r.status().as_u16(),
            r.json::<serde_json::Value>().await.unwrap(),
        )
    };
    let (status, fresh) = refresh_once().await;
    assert_eq!(status, 200, "{fresh}");
    assert!(
        fresh.get("refresh_token").is_none(),
        "Google sends no new refresh token on refresh"
    );

    let revoked = http()
        .post(format!("{}revoke?token={refresh}", sb.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status().as_u16(), 200);
    let (status, err) = refresh_once().await;
    assert_eq!(
        (status, err["error"].as_str()),
        (400, Some("invalid_grant")),
        "{err}"
    );
    let profile = hub(&sb, &json_of(&fresh, "access_token"))
        .users()
        .get_profile("me")
        .doit()
        .await;
    assert!(
        profile.is_err(),
        "access tokens die with their revoked grant"
    );
}

#[tokio::test]
async fn userinfo_names_the_account_behind_an_identity_token_only() {
    let sb = sandbox().await;
    let who = json_of(&connect(&sb, "openid email").await, "access_token");
    let me: serde_json::Value = http()
        .get(format!("{}v1/userinfo", sb.base_url()))
        .bearer_auth(&who)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (me["email"].as_str(), me["email_verified"].as_bool()),
        (Some("consultant@sandbox.example"), Some(true)),
        "{me}"
    );
    assert!(!json_of(&me, "sub").is_empty(), "a stable subject id");
    let gmail_only = json_of(&connect(&sb, GMAIL_READ).await, "access_token");
    let refused = http()
        .get(format!("{}v1/userinfo", sb.base_url()))
        .bearer_auth(&gmail_only)
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status().as_u16(),
        403,
        "userinfo needs openid/email scope"
    );
}
