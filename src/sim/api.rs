//! What every simulated API shares: AWS-shaped errors, JSON 1.1 responses, pagination tokens,
//! timestamps and request parameters.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value};

/// An error as AWS returns it: HTTP status, error code (`__type`), message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    pub fn validation(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "ValidationException", message)
    }

    pub fn throttled() -> ApiError {
        ApiError::new(400, "ThrottlingException", "Rate exceeded")
    }

    pub fn access_denied(action: &str) -> ApiError {
        ApiError::new(
            400,
            "AccessDeniedException",
            format!("User is not authorized to perform: {action}"),
        )
    }

    pub fn unknown_operation(operation: &str) -> ApiError {
        ApiError::new(
            400,
            "UnknownOperationException",
            format!("Unknown operation {operation}"),
        )
    }

    pub fn serialization(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "SerializationException", message)
    }
}

pub type ApiResult = Result<Value, ApiError>;

/// Epoch seconds with milliseconds, as JSON 1.1 encodes timestamps.
pub fn epoch_seconds(time: SystemTime) -> f64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| (d.as_millis() as f64) / 1000.0)
}

/// Opaque pagination tokens (the offset of the next page, base64).
pub fn next_token(offset: usize, total: usize) -> Option<String> {
    (offset < total).then(|| token_for(offset))
}

/// The token for a position.
pub fn token_for(position: usize) -> String {
    BASE64.encode(format!("bosun-sim:{position}"))
}

pub fn parse_next_token(token: Option<&str>, code: &str) -> Result<usize, ApiError> {
    let Some(token) = token else {
        return Ok(0);
    };
    BASE64
        .decode(token)
        .ok()
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|text| text.strip_prefix("bosun-sim:")?.parse().ok())
        .ok_or_else(|| ApiError::new(400, code, "The specified token is not valid."))
}

/// A request body's fields, with checks that answer the way AWS does.
pub struct Params<'a> {
    body: &'a Map<String, Value>,
}

impl<'a> Params<'a> {
    /// Checks that only `known` fields are present (the SDKs never send others; a stray one
    /// means a client bug, and AWS answers SerializationException).
    pub fn new(body: &'a Value, known: &[&str]) -> Result<Params<'a>, ApiError> {
        let body = body.as_object().ok_or_else(|| {
            ApiError::serialization("Start of structure or map found where not expected.")
        })?;
        if let Some(unknown) = body.keys().find(|key| !known.contains(&key.as_str())) {
            return Err(ApiError::serialization(format!(
                "Unrecognized field \"{unknown}\" in the request"
            )));
        }
        Ok(Params { body })
    }

    pub fn str(&self, key: &str) -> Result<Option<&'a str>, ApiError> {
        match self.body.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(ApiError::serialization(format!("{key} must be a string"))),
        }
    }

    pub fn required_str(&self, key: &str) -> Result<&'a str, ApiError> {
        self.str(key)?.ok_or_else(|| {
            ApiError::validation(format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                lower_first(key)
            ))
        })
    }

    pub fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.body.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value
                .as_i64()
                .map(Some)
                .ok_or_else(|| ApiError::serialization(format!("{key} must be an integer"))),
        }
    }

    /// An integer bounded as the service model says, or ValidationException.
    pub fn bounded(&self, key: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        match self.int(key)? {
            Some(value) if value < min || value > max => Err(ApiError::validation(format!(
                "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: Member must have value {} {}",
                lower_first(key),
                if value < min {
                    "greater than or equal to"
                } else {
                    "less than or equal to"
                },
                if value < min { min } else { max },
            ))),
            other => Ok(other),
        }
    }

    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.body.get(key).filter(|v| !v.is_null())
    }
}

fn lower_first(key: &str) -> String {
    let mut chars = key.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

/// `Filters` as DescribeSessions and ListCommands take them: `[{"key": K, "value": V}]`, with
/// keys limited to `allowed` (InvalidFilterKey otherwise).
pub fn key_value_filters(
    params: &Params,
    allowed: &[&str],
) -> Result<Vec<(String, String)>, ApiError> {
    let mut filters = Vec::new();
    for filter in params
        .get("Filters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = filter["key"].as_str().unwrap_or_default();
        if !allowed.contains(&key) {
            return Err(ApiError::new(
                400,
                "InvalidFilterKey",
                format!("The specified key is not valid: {key}"),
            ));
        }
        filters.push((
            key.to_owned(),
            filter["value"].as_str().unwrap_or_default().to_owned(),
        ));
    }
    Ok(filters)
}

/// One page of `items` from `start`, as `{ list_key: [...], "NextToken": … }`.
pub fn page_of(list_key: &str, items: Vec<Value>, start: usize, max: usize) -> Value {
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(start).take(max).collect();
    let mut output = serde_json::json!({ list_key: page });
    if let Some(token) = next_token(start + max, total) {
        output["NextToken"] = serde_json::json!(token);
    }
    output
}

/// The strings of a JSON array (anything else counts as empty).
pub fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A random id of `hex_len` lowercase hex digits.
pub fn random_hex(hex_len: usize) -> String {
    let mut bytes = vec![0u8; hex_len.div_ceil(2)];
    let _ = getrandom::fill(&mut bytes);
    let mut text = hex::encode(bytes);
    text.truncate(hex_len);
    text
}

/// `InvokedAfter`/`InvokedBefore` values: `2026-11-21T08:00:00Z` or epoch seconds.
/// An HTTP date (`Sun, 29 Nov 2026 17:20:55 GMT`), as AWS sends in every response's `Date`.
pub(crate) fn http_date(time: SystemTime) -> String {
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let epoch = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64);
    // `YYYY-MM-DDTHH:MM:SS.000Z`, taken apart.
    let iso = crate::model::format::iso8601(epoch);
    let month: usize = iso[5..7].parse().unwrap_or(1);
    format!(
        "{}, {} {} {} {} GMT",
        WEEKDAYS[epoch.div_euclid(86_400).rem_euclid(7) as usize],
        &iso[8..10],
        MONTHS[month.clamp(1, 12) - 1],
        &iso[..4],
        &iso[11..19]
    )
}

pub(crate) fn parse_time(text: &str) -> Option<SystemTime> {
    if let Ok(seconds) = text.parse::<f64>() {
        return Some(SystemTime::UNIX_EPOCH + Duration::from_secs_f64(seconds.max(0.0)));
    }
    let (date, time) = text.trim_end_matches('Z').split_once('T')?;
    let mut date_parts = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (
        date_parts.next()??,
        date_parts.next()??,
        date_parts.next()??,
    );
    let mut time_parts = time.split(':').map(|p| p.parse::<f64>().ok());
    let (hh, mm) = (time_parts.next()??, time_parts.next()??);
    let ss = time_parts.next().flatten().unwrap_or(0.0);
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let seconds = days as f64 * 86_400.0 + hh * 3600.0 + mm * 60.0 + ss;
    (seconds >= 0.0).then(|| SystemTime::UNIX_EPOCH + Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_bad_ones_fail() {
        let token = next_token(50, 120).expect("more pages");
        assert_eq!(parse_next_token(Some(&token), "InvalidNextToken"), Ok(50));
        assert_eq!(next_token(120, 120), None);
        assert_eq!(
            parse_next_token(Some("garbage"), "InvalidNextToken").map_err(|e| e.code),
            Err("InvalidNextToken".to_owned())
        );
    }

    #[test]
    fn bounds_and_unknown_fields_are_checked() {
        let body = serde_json::json!({"MaxResults": 3});
        let params = Params::new(&body, &["MaxResults"]).expect("known");
        let error = params.bounded("MaxResults", 5, 50).expect_err("too small");
        assert_eq!(error.code, "ValidationException");
        assert!(error.message.contains("maxResults"));
        assert!(Params::new(&serde_json::json!({"Bogus": 1}), &["MaxResults"]).is_err());
    }
}
