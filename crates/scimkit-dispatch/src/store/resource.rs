//! [`Resource`]: a stored resource as a store hands it out, parsed or as JSON text.

use serde_json::Value;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

/// A stored resource (a JSON object) as a store hands it out: either a parsed [`Value`], or
/// its compact JSON text, parsed on first use. Dereferences to the [`Value`].
///
/// Cheap to clone (shared). A store that keeps resources serialised (as
/// [`MemoryStore`](crate::MemoryStore) does) hands out the text with [`Resource::from_json`];
/// the dispatcher then serves it with the default projection without parsing it.
#[derive(Clone)]
pub struct Resource(Arc<Repr>);

#[derive(Clone)]
enum Repr {
    Value(Value),
    Json {
        text: Arc<str>,
        parsed: OnceLock<Value>,
    },
}

impl Resource {
    /// A resource held as compact JSON text, which must be a JSON object (text that does not
    /// parse reads as `null`).
    pub fn from_json(text: Arc<str>) -> Self {
        Resource(Arc::new(Repr::Json {
            text,
            parsed: OnceLock::new(),
        }))
    }

    /// The compact JSON text, when the resource is held as text.
    pub fn json_text(&self) -> Option<&str> {
        match &*self.0 {
            Repr::Json { text, .. } => Some(text),
            Repr::Value(_) => None,
        }
    }

    /// The resource as a JSON value (parsed on first use when held as text).
    pub fn value(&self) -> &Value {
        match &*self.0 {
            Repr::Value(v) => v,
            Repr::Json { text, parsed } => {
                parsed.get_or_init(|| serde_json::from_str(text).unwrap_or(Value::Null))
            }
        }
    }

    /// The resource as an owned JSON value.
    pub fn into_value(self) -> Value {
        match Arc::try_unwrap(self.0) {
            Ok(Repr::Value(v)) => v,
            Ok(Repr::Json { text, parsed }) => parsed
                .into_inner()
                .unwrap_or_else(|| serde_json::from_str(&text).unwrap_or(Value::Null)),
            Err(shared) => Resource(shared).value().clone(),
        }
    }

    /// The value, for changing it (copied first when shared, parsed first when held as text).
    pub fn make_mut(&mut self) -> &mut Value {
        let repr = Arc::make_mut(&mut self.0);
        if let Repr::Json { text, parsed } = repr {
            let v = parsed
                .take()
                .unwrap_or_else(|| serde_json::from_str(text).unwrap_or(Value::Null));
            *repr = Repr::Value(v);
        }
        match repr {
            Repr::Value(v) => v,
            Repr::Json { .. } => unreachable!("the text was just replaced by its value"),
        }
    }
}

impl Deref for Resource {
    type Target = Value;
    fn deref(&self) -> &Value {
        self.value()
    }
}

impl From<Value> for Resource {
    fn from(v: Value) -> Self {
        Resource(Arc::new(Repr::Value(v)))
    }
}

impl PartialEq for Resource {
    fn eq(&self, other: &Self) -> bool {
        match (self.json_text(), other.json_text()) {
            (Some(a), Some(b)) if a == b => true,
            _ => self.value() == other.value(),
        }
    }
}

impl fmt::Debug for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value().fmt(f)
    }
}

impl serde::Serialize for Resource {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}
