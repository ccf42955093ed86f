//! The SCIM 2.0 filter and attribute-path language (RFC 7644 §3.4.2.2 and §3.5.2).
//!
//! - [`parse`] turns `userName eq "bjensen" and emails[type eq "work"]` into a [`Filter`];
//!   [`parse_path`] turns a PATCH path such as `emails[type eq "work"].value` into a
//!   [`PatchPath`]; [`parse_attr_path`] reads a plain attribute path (`sortBy`, `attributes`).
//! - Every AST prints in a canonical form (`Display`) that parses back to the same AST.
//! - [`matches`] evaluates a filter against a JSON resource with RFC 7644 semantics, asking an
//!   [`AttributeFacts`] implementation how each attribute compares.
//! - [`compare_resources`] orders resources for `sortBy` / `sortOrder` (RFC 7644 §3.4.2.3).
//!
//! Parsing is bounded by [`Limits`] (length, nesting depth, number of terms), checked while
//! parsing; no input panics, and no tree the limits allow can overflow the stack when dropped.
#![forbid(unsafe_code)]

mod ast;
mod display;
mod error;
mod eval;
mod facts;
mod fold;
mod parse;
mod sort;

pub use ast::{AttrPath, AttrTest, CompValue, CompareOp, Filter, PatchPath, ValuePath};
pub use error::{EvalError, Expected, ParseError};
pub use eval::{element_matches, get_ci, matches, Matcher};
pub use facts::{AttrFacts, AttrRef, AttrType, AttributeFacts, DefaultFacts};
pub use fold::{check_identifier, eq_folded, fold, IdentifierError};
pub use parse::{parse, parse_attr_path, parse_path, Limits, ParseOptions};
pub use sort::{compare_resources, compare_values, sort_value, SortOrder};
