//! The `oauth2` crate's HTTP client, over Cremmy's reqwest 0.13 client (oauth2's own reqwest
//! feature would pull a second reqwest). A named type, not a closure, so the futures stay `Send`.

use std::future::Future;
use std::pin::Pin;

use oauth2::{AsyncHttpClient, HttpRequest, HttpResponse};

pub struct OAuthHttp(pub reqwest::Client);

impl<'c> AsyncHttpClient<'c> for OAuthHttp {
    type Error = reqwest::Error;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, reqwest::Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let response = self.0.execute(request.try_into()?).await?;
            let (status, headers) = (response.status(), response.headers().clone());
            let body = response.bytes().await?.to_vec();
            let mut out = HttpResponse::new(body);
            *out.status_mut() = status;
            *out.headers_mut() = headers;
            Ok(out)
        })
    }
}
