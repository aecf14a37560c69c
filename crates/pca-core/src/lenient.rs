//! Deserializers that accept every form the documentation shows for a field (PCA-API.md §8):
//! numbers or numeric strings, a PEM list as an array or as one concatenated string, dates as
//! epoch milliseconds or text.

use std::fmt;

use serde::Serialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

use crate::pem_text::{find_blocks, tidy};

/// A time as the service sent it: epoch milliseconds (number or numeric string), or other text.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ServerTime {
    /// Unix epoch milliseconds.
    Millis(i64),
    /// Any other text, kept as sent.
    Text(String),
}

impl ServerTime {
    /// Epoch milliseconds, when the service sent a number.
    pub fn unix_millis(&self) -> Option<i64> {
        match self {
            ServerTime::Millis(ms) => Some(*ms),
            ServerTime::Text(_) => None,
        }
    }
}

impl fmt::Display for ServerTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerTime::Millis(ms) => write!(f, "{ms}"),
            ServerTime::Text(t) => f.write_str(t),
        }
    }
}

/// A scalar that may come as a number, a string or a boolean; decoded by a visitor that looks
/// at the value once (no buffering, no trial decodes).
enum Scalar {
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Bool(bool),
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Option<Scalar>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, a number, a boolean or null")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(Scalar::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Scalar::Int(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Scalar::UInt(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(Scalar::Float(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Scalar::Str(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(Scalar::Str(v)))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Scalar>, D::Error> {
    d.deserialize_any(ScalarVisitor)
}

/// `Option<String>` from a string or a number; null is `None`.
pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match scalar(d)? {
        None => None,
        Some(Scalar::Str(s)) => Some(s),
        Some(Scalar::Int(i)) => Some(i.to_string()),
        Some(Scalar::UInt(u)) => Some(u.to_string()),
        Some(Scalar::Float(f)) => Some(f.to_string()),
        Some(Scalar::Bool(b)) => Some(b.to_string()),
    })
}

/// `Option<u64>` from a number or a numeric string; null and `""` are `None`.
pub(crate) fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match scalar(d)? {
        None => Ok(None),
        Some(Scalar::UInt(u)) => Ok(Some(u)),
        Some(Scalar::Int(i)) => u64::try_from(i)
            .map(Some)
            .map_err(|_| de::Error::custom(format!("expected a count, got {i}"))),
        Some(Scalar::Str(s)) if s.trim().is_empty() => Ok(None),
        Some(Scalar::Str(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| de::Error::custom(format!("expected a number, got {s:?}"))),
        Some(Scalar::Float(f)) if f >= 0.0 && f.fract() == 0.0 && f < 1.8e19 => Ok(Some(f as u64)),
        Some(_) => Err(de::Error::custom("expected a number")),
    }
}

/// `Option<ServerTime>` from a number, a numeric string or any other text; null and `""` are
/// `None`.
pub(crate) fn opt_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ServerTime>, D::Error> {
    match scalar(d)? {
        None => Ok(None),
        Some(Scalar::Int(i)) => Ok(Some(ServerTime::Millis(i))),
        Some(Scalar::UInt(u)) => Ok(Some(ServerTime::Millis(
            i64::try_from(u).unwrap_or(i64::MAX),
        ))),
        Some(Scalar::Float(f)) => Ok(Some(ServerTime::Millis(f as i64))),
        Some(Scalar::Str(s)) if s.trim().is_empty() => Ok(None),
        Some(Scalar::Str(s)) => Ok(Some(match s.trim().parse::<i64>() {
            Ok(ms) => ServerTime::Millis(ms),
            Err(_) => ServerTime::Text(s),
        })),
        Some(Scalar::Bool(_)) => Err(de::Error::custom("expected a time")),
    }
}

/// A list of PEM blocks from an array of strings or from one string holding several blocks;
/// blank entries dropped. Text that holds no PEM block is kept as one entry.
pub(crate) fn pem_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let raw = d.deserialize_any(StringsVisitor)?;
    let mut out = Vec::new();
    for item in raw {
        let (blocks, _) = find_blocks(&item);
        if blocks.is_empty() {
            let t = item.trim();
            if !t.is_empty() {
                out.push(t.to_owned());
            }
        } else {
            out.extend(blocks.into_iter().map(|b| tidy(b.text.to_owned())));
        }
    }
    Ok(out)
}

/// A list of strings from an array, or from one comma-separated string; blanks dropped.
pub(crate) fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let raw = d.deserialize_any(StringsVisitor)?;
    Ok(raw
        .iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect())
}

struct StringsVisitor;

impl<'de> Visitor<'de> for StringsVisitor {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an array of strings")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(vec![v.to_owned()])
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(vec![v])
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(StringsVisitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element::<Option<String>>()? {
            if let Some(s) = item {
                out.push(s);
            }
        }
        Ok(out)
    }
}
