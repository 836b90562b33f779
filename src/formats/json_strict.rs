//! JSON read whole or refused: a key given twice in one object is an error naming its line
//! and column, where `serde_json::Value` would keep the last value silently. For reference
//! files (factor files, CN code lists); shipments have their own reader in `intake/`.

use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use std::collections::HashSet;
use std::fmt;

/// `text` as one JSON value; `Err` (with line and column) for invalid JSON, trailing content
/// or a key twice in one object.
pub fn from_str(text: &str) -> Result<serde_json::Value, serde_json::Error> {
    serde_json::from_str::<NoDuplicateKeys>(text)?;
    serde_json::from_str(text)
}

/// `Err` (with line and column) when `bytes` are not one JSON value or hold a key twice in
/// one object; nothing is built.
pub fn check_slice(bytes: &[u8]) -> Result<(), serde_json::Error> {
    serde_json::from_slice::<NoDuplicateKeys>(bytes).map(|_| ())
}

/// A JSON value checked for duplicate keys and thrown away.
struct NoDuplicateKeys;

impl<'de> Deserialize<'de> for NoDuplicateKeys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Check)
    }
}

struct Check;

impl<'de> Visitor<'de> for Check {
    type Value = NoDuplicateKeys;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        while a.next_element::<NoDuplicateKeys>()?.is_some() {}
        Ok(NoDuplicateKeys)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut seen = HashSet::new();
        while let Some(k) = m.next_key::<String>()? {
            if !seen.insert(k.clone()) {
                return Err(A::Error::custom(format!(
                    "duplicate key {k:?} in one object (refused: only one value can be read)"
                )));
            }
            m.next_value::<NoDuplicateKeys>()?;
        }
        Ok(NoDuplicateKeys)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_key_twice_is_refused_with_its_line() {
        let e = super::from_str("{\"a\": 1,\n \"b\": {\"c\": 2,\n \"c\": 3}}").unwrap_err();
        assert_eq!(e.line(), 3, "{e}");
        assert!(e.to_string().contains("duplicate key \"c\""), "{e}");
        let v = super::from_str("{\"a\": [1.50, {\"b\": null}], \"c\": true}").unwrap();
        assert_eq!(v["a"][0].to_string(), "1.50");
    }
}
