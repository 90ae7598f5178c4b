//! The query protocol's pieces, shared by the simulated EC2, IAM and STS: a form's fields
//! (`Prefix.N`, `Filter.N.Name`), XML escaping, XML answers and error bodies, the required
//! field check, and stable ids.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};

use super::api::ApiError;

pub(crate) struct Query<'a>(pub(crate) &'a [(String, String)]);

impl Query<'_> {
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `Prefix.1`, `Prefix.2`, … in order.
    pub(crate) fn list(&self, prefix: &str) -> Vec<String> {
        (1..)
            .map_while(|n| self.get(&format!("{prefix}.{n}")).map(str::to_owned))
            .collect()
    }

    /// `Filter.N.Name` with `Filter.N.Value.M`.
    pub(crate) fn filters(&self) -> Vec<(String, Vec<String>)> {
        (1..)
            .map_while(|n| {
                let name = self.get(&format!("Filter.{n}.Name"))?;
                Some((name.to_owned(), self.list(&format!("Filter.{n}.Value"))))
            })
            .collect()
    }
}

pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// An XML answer (EC2's, IAM's) with its status.
pub(crate) fn xml(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/xml;charset=UTF-8"),
    );
    response
}

pub(crate) fn xml_error(error: &ApiError) -> Response<Full<Bytes>> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{}</Code><Message>{}</Message></Error></Errors><RequestID>{}</RequestID></Response>",
        escape(&error.code),
        escape(&error.message),
        uuid::Uuid::new_v4()
    );
    xml(
        StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST),
        body,
    )
}

/// A query-protocol answer (IAM's, STS's): the result wrapped in `…Response`/`…Result`, or
/// the error body.
pub(crate) fn respond(
    namespace: &str,
    action: &str,
    result: Result<String, ApiError>,
) -> Response<Full<Bytes>> {
    match result {
        Ok(inner) => {
            let body = format!(
                "<{action}Response xmlns=\"{namespace}\"><{action}Result>{inner}</{action}Result><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{action}Response>",
                uuid::Uuid::new_v4()
            );
            xml(StatusCode::OK, body)
        }
        Err(error) => error_response_in(namespace, &error),
    }
}

/// A query-protocol error body (a `Sender` fault, with the code and message).
pub(crate) fn error_response_in(namespace: &str, error: &ApiError) -> Response<Full<Bytes>> {
    let body = format!(
        "<ErrorResponse xmlns=\"{namespace}\"><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
        escape(&error.code),
        escape(&error.message),
        uuid::Uuid::new_v4()
    );
    xml(
        StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST),
        body,
    )
}

pub(crate) fn required<'a>(query: &'a Query, name: &str) -> Result<&'a str, ApiError> {
    query.get(name).filter(|v| !v.is_empty()).ok_or_else(|| {
        ApiError::new(
            400,
            "ValidationError",
            format!("1 validation error detected: Value null at '{name}' failed to satisfy constraint: Member must not be null"),
        )
    })
}

/// A stable 17-character id from a name.
pub(crate) fn hex_id(name: &str) -> String {
    let sum = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3)
    });
    format!("{sum:016X}Q")
}
