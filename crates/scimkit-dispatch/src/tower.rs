//! A `tower::Service` adapter (feature `tower`): the dispatcher as a service for axum, hyper,
//! tonic-style stacks and tower middleware.
//!
//! ```
//! use scimkit_dispatch::{tower::ScimService, AllowAll, Dispatcher, MemoryStore, TenantId};
//! use tower_service::Service;
//!
//! let scim = Dispatcher::new(MemoryStore::new(), AllowAll(TenantId::new("dev")));
//! let mut service = ScimService::new(scim);
//! # futures_executor::block_on(async {
//! let req = http::Request::get("/ServiceProviderConfig")
//!     .body(http_body_util::Empty::<bytes::Bytes>::new())
//!     .unwrap();
//! let resp = service.call(req).await.unwrap();
//! assert_eq!(resp.status(), 200);
//! # });
//! ```

use crate::{Authenticator, Dispatcher, Hooks, Store};
use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A [`Dispatcher`] as a `tower::Service<http::Request<B>>`; it never fails (every error is a
/// SCIM error response) and is always ready. Responses carry a `Full<Bytes>` body.
#[derive(Debug)]
pub struct ScimService<S, A, H> {
    dispatcher: Dispatcher<S, A, H>,
}

impl<S, A, H> Clone for ScimService<S, A, H> {
    fn clone(&self) -> Self {
        ScimService {
            dispatcher: self.dispatcher.clone(),
        }
    }
}

impl<S, A, H> ScimService<S, A, H> {
    /// Wraps a dispatcher.
    pub fn new(dispatcher: Dispatcher<S, A, H>) -> Self {
        ScimService { dispatcher }
    }
}

impl<S, A, H, B> tower_service::Service<Request<B>> for ScimService<S, A, H>
where
    S: Store,
    A: Authenticator,
    H: Hooks<S>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let dispatcher = self.dispatcher.clone();
        Box::pin(async move { Ok(dispatcher.handle(request).await.map(Full::new)) })
    }
}
