//! Size limits every [`ResourceSchema`](crate::ResourceSchema) operation enforces, set on the
//! [`Registry`](crate::Registry) so that callers keep their signatures.

/// How large a request may make a resource. Checked before any work proportional to the
/// excess; see `docs/schema.md` ("Limits").
///
/// ```
/// use scimkit_schema::{Limits, Registry};
///
/// let registry = Registry::standard()
///     .with_limits(Limits::default().with_max_patch_operations(200).with_max_values(50_000));
/// assert_eq!(registry.limits().max_patch_operations(), 200);
/// assert_eq!(Limits::default().max_values(), 100_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    max_patch_operations: usize,
    max_values: usize,
    max_patch_value_visits: usize,
}

impl Limits {
    /// The default most operations in one PATCH request (as Bulk's default `maxOperations`).
    pub const DEFAULT_MAX_PATCH_OPERATIONS: usize = 1_000;
    /// The default most values one multi-valued attribute may hold.
    pub const DEFAULT_MAX_VALUES: usize = 100_000;
    /// The default most values of multi-valued attributes one PATCH request may go through.
    pub const DEFAULT_MAX_PATCH_VALUE_VISITS: usize = 250_000;

    /// The defaults: [`DEFAULT_MAX_PATCH_OPERATIONS`](Self::DEFAULT_MAX_PATCH_OPERATIONS),
    /// [`DEFAULT_MAX_VALUES`](Self::DEFAULT_MAX_VALUES) and
    /// [`DEFAULT_MAX_PATCH_VALUE_VISITS`](Self::DEFAULT_MAX_PATCH_VALUE_VISITS).
    pub const fn new() -> Self {
        Limits {
            max_patch_operations: Self::DEFAULT_MAX_PATCH_OPERATIONS,
            max_values: Self::DEFAULT_MAX_VALUES,
            max_patch_value_visits: Self::DEFAULT_MAX_PATCH_VALUE_VISITS,
        }
    }

    /// Sets the most operations one PATCH request may hold; more are answered
    /// `413 Payload Too Large`.
    #[must_use]
    pub const fn with_max_patch_operations(mut self, n: usize) -> Self {
        self.max_patch_operations = n;
        self
    }

    /// Sets the most values one multi-valued attribute may hold after a create, replace or
    /// PATCH (and the most a request may give for one); more are answered `400 invalidValue`.
    #[must_use]
    pub const fn with_max_values(mut self, n: usize) -> Self {
        self.max_values = n;
        self
    }

    /// Sets the most values of multi-valued attributes one PATCH request may go through,
    /// summed over its operations (each operation on a multi-valued attribute goes through its
    /// values once); more are answered `400 tooMany` before the operation that would exceed it.
    #[must_use]
    pub const fn with_max_patch_value_visits(mut self, n: usize) -> Self {
        self.max_patch_value_visits = n;
        self
    }

    /// The most operations one PATCH request may hold.
    pub const fn max_patch_operations(&self) -> usize {
        self.max_patch_operations
    }

    /// The most values one multi-valued attribute may hold.
    pub const fn max_values(&self) -> usize {
        self.max_values
    }

    /// The most values of multi-valued attributes one PATCH request may go through.
    pub const fn max_patch_value_visits(&self) -> usize {
        self.max_patch_value_visits
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new()
    }
}
