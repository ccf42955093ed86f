//! A filter's attribute test, prepared as the evaluator prepares it (`scimkit_filter::matches`):
//! `eq null`/`ne null`, `ne` as the negation of `eq`, and Entra ID's `"True"` for booleans.

use scimkit_filter::{AttrFacts, AttrTest, AttrType, CompValue, CompareOp};
use serde_json::Number;

/// A comparison value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Text(String),
    Number(Number),
    Bool(bool),
    Null,
}

/// What one attribute test asks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Test {
    /// `pr`.
    Present,
    /// `eq null`: no value.
    IsNull,
    /// `ne null`: some value.
    IsNotNull,
    /// `ne v`: no value equals `v`.
    NotEqual(Val),
    /// Some value compares (`op` is never `ne`).
    Compare(CompareOp, Val),
}

/// A positive condition on one value; [`Test`] is "some value satisfies it" or its negation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Positive {
    Present,
    NotNull,
    Compare(CompareOp, Val),
}

impl Test {
    pub(crate) fn prepare(test: &AttrTest<'_>, facts: AttrFacts) -> Test {
        match test {
            AttrTest::Present => Test::Present,
            AttrTest::Compare(CompareOp::Eq, CompValue::Null) => Test::IsNull,
            AttrTest::Compare(CompareOp::Ne, CompValue::Null) => Test::IsNotNull,
            AttrTest::Compare(op, v) => {
                let val = match v {
                    CompValue::True => Val::Bool(true),
                    CompValue::False => Val::Bool(false),
                    CompValue::Null => Val::Null,
                    CompValue::Number(n) => Val::Number(n.clone()),
                    CompValue::String(s) if facts.kind == AttrType::Boolean => {
                        if s.eq_ignore_ascii_case("true") {
                            Val::Bool(true)
                        } else if s.eq_ignore_ascii_case("false") {
                            Val::Bool(false)
                        } else {
                            Val::Text(s.to_string())
                        }
                    }
                    CompValue::String(s) => Val::Text(s.to_string()),
                };
                match op {
                    CompareOp::Ne => Test::NotEqual(val),
                    op => Test::Compare(*op, val),
                }
            }
        }
    }

    /// The test as `(negated, positive)`: it holds when some value satisfies `positive`, or,
    /// when `negated`, when none does.
    pub(crate) fn split(self) -> (bool, Positive) {
        match self {
            Test::Present => (false, Positive::Present),
            Test::IsNull => (true, Positive::NotNull),
            Test::IsNotNull => (false, Positive::NotNull),
            Test::NotEqual(v) => (true, Positive::Compare(CompareOp::Eq, v)),
            Test::Compare(op, v) => (false, Positive::Compare(op, v)),
        }
    }
}
