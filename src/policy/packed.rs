//! Serde over the packed form of [`super::packed_format`]: built-in policies
//! are deserialised into the same definitions as a policy file's TOML, with
//! strings borrowed from the binary and nothing to parse or validate.

use serde::de::{self, IntoDeserializer, Visitor, value::BorrowedStrDeserializer};

use super::packed_format as tag;

/// A malformed packed value (only a build script out of step could make
/// one) or a value that does not fit the type asked for.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Error(String);

impl de::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

fn truncated() -> Error {
    Error("truncated packed value".into())
}

/// Deserialise a `T` from the packed value at the start of `packed`.
pub fn from_str<T: de::Deserialize<'static>>(packed: &'static str) -> Result<T, Error> {
    T::deserialize(Value(packed))
}

/// A packed value: the text from its tag on (what follows it is ignored).
#[derive(Clone, Copy)]
struct Value<'de>(&'de str);

/// The number of `len` bytes at `at` (see `packed_format::seven_bits`).
fn number_at(packed: &str, at: usize, len: usize) -> Result<u64, Error> {
    let bytes = packed.as_bytes().get(at..at + len).ok_or_else(truncated)?;
    Ok(tag::seven_bits(bytes))
}

fn len_at(packed: &str, at: usize) -> Result<usize, Error> {
    Ok(number_at(packed, at, tag::LEN_BYTES)? as usize)
}

/// `packed[at..at + len]`: a whole string, or a whole value, of the form.
fn take(packed: &str, at: usize, len: usize) -> Result<&str, Error> {
    packed.get(at..at + len).ok_or_else(truncated)
}

/// The string at the start of `packed` (length, then UTF-8) and what follows it.
fn split_str(packed: &str) -> Result<(&str, &str), Error> {
    let len = len_at(packed, 0)?;
    let s = take(packed, tag::LEN_BYTES, len)?;
    Ok((s, &packed[tag::LEN_BYTES + len..]))
}

impl<'de> Value<'de> {
    fn tag(self) -> Result<u8, Error> {
        self.0.as_bytes().first().copied().ok_or_else(truncated)
    }

    /// This value and what follows it.
    fn split(packed: &'de str) -> Result<(Value<'de>, &'de str), Error> {
        let len = match packed.as_bytes().first().copied().ok_or_else(truncated)? {
            tag::STRING => 1 + tag::LEN_BYTES + len_at(packed, 1)?,
            tag::INTEGER | tag::FLOAT => 1 + tag::WORD_BYTES,
            tag::FALSE | tag::TRUE => 1,
            tag::ARRAY | tag::TABLE => 1 + 2 * tag::LEN_BYTES + len_at(packed, 1 + tag::LEN_BYTES)?,
            t => return Err(Error(format!("unknown packed tag {t}"))),
        };
        let value = take(packed, 0, len)?;
        Ok((Value(value), &packed[len..]))
    }

    fn word(self) -> Result<u64, Error> {
        number_at(self.0, 1, tag::WORD_BYTES)
    }

    fn items(self) -> Result<Items<'de>, Error> {
        let left = len_at(self.0, 1)?;
        let len = len_at(self.0, 1 + tag::LEN_BYTES)?;
        Ok(Items {
            rest: take(self.0, 1 + 2 * tag::LEN_BYTES, len)?,
            left,
        })
    }
}

/// The items of an array or a table.
struct Items<'de> {
    rest: &'de str,
    left: usize,
}

impl<'de> Items<'de> {
    fn next_value(&mut self) -> Result<Value<'de>, Error> {
        let (value, rest) = Value::split(self.rest)?;
        self.rest = rest;
        Ok(value)
    }
}

impl<'de> de::SeqAccess<'de> for Items<'de> {
    type Error = Error;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(self.next_value()?).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

impl<'de> de::MapAccess<'de> for Items<'de> {
    type Error = Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let (key, rest) = split_str(self.rest)?;
        self.rest = rest;
        seed.deserialize(BorrowedStrDeserializer::new(key)).map(Some)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(self.next_value()?)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

impl<'de> IntoDeserializer<'de, Error> for Value<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> de::Deserializer<'de> for Value<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.tag()? {
            tag::STRING => visitor.visit_borrowed_str(split_str(&self.0[1..])?.0),
            tag::INTEGER => visitor.visit_i64(self.word()? as i64),
            tag::FLOAT => visitor.visit_f64(f64::from_bits(self.word()?)),
            tag::FALSE => visitor.visit_bool(false),
            tag::TRUE => visitor.visit_bool(true),
            tag::ARRAY => visitor.visit_seq(self.items()?),
            tag::TABLE => visitor.visit_map(self.items()?),
            t => Err(Error(format!("unknown packed tag {t}"))),
        }
    }

    /// A value that is there is `Some`: absent keys are how TOML says none.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    /// `toml::Spanned` fields get an empty span: built-in policies are
    /// checked from their text by the tests, where spans name the lines.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if serde_spanned::de::is_spanned(name) {
            visitor.visit_map(serde_spanned::de::SpannedDeserializer::new(self, 0..0))
        } else {
            self.deserialize_any(visitor)
        }
    }

    /// Enums of the policy format are unit variants written as strings.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.tag()? {
            tag::STRING => visitor.visit_enum(BorrowedStrDeserializer::new(split_str(&self.0[1..])?.0)),
            _ => Err(Error("expected a string naming a variant".into())),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_values_come_back_as_written() {
        let text = r#"
s = "text with \"quotes\" and ü"
i = -42
f = 2.5
t = true
n = false
a = [1, "two", [3.0], { k = "v" }]
empty = []
[table]
nested = { deeper = { x = 1 } }
"#;
        let table: toml::Table = toml::from_str(text).unwrap();
        let mut bytes = Vec::new();
        tag::encode_table(&table, &mut bytes).unwrap();
        let packed: &'static str = String::from_utf8(bytes).expect("the packed form is UTF-8").leak();
        let back: toml::Table = from_str(packed).unwrap();
        assert_eq!(back, table);
    }

    #[test]
    fn dates_are_refused() {
        let table: toml::Table = toml::from_str("d = 2024-01-01").unwrap();
        assert!(tag::encode_table(&table, &mut Vec::new()).is_err());
    }
}
