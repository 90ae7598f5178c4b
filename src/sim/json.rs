//! The simulator's JSON answers as AWS shapes them: the content type, a request id, and
//! errors with `__type`, `message` and the `x-amzn-ErrorType` header.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};

use super::api::ApiError;

const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.1";

fn with_request_id(mut response: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    if let Ok(value) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        response.headers_mut().insert("x-amzn-requestid", value);
    }
    response
}

pub(crate) fn json_response(value: &serde_json::Value) -> Response<Full<Bytes>> {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = Response::new(Full::new(Bytes::from(body)));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    with_request_id(response)
}

pub(crate) fn json_error(error: &ApiError) -> Response<Full<Bytes>> {
    let body = serde_json::json!({"__type": error.code, "message": error.message});
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    if let Ok(value) = HeaderValue::from_str(&error.code) {
        headers.insert("x-amzn-errortype", value);
    }
    with_request_id(response)
}
