//! The built-in schemas: User, Group and EnterpriseUser exactly as RFC 7643 §8.7.1 represents
//! them, and the common attributes of RFC 7643 §3.1 (`id`, `externalId`, `meta`).
//!
//! Where §8.7.1 and the prose of §4 disagree, §8.7.1 is followed and the difference is noted in
//! `docs/schema.md` (e.g. Group `displayName` is `"required": false` in §8.7.1).

use crate::schema::Uniqueness as U;
use crate::schema::{
    AttributeDef as A, AttributeType as T, Mutability as M, Returned as R, Schema,
};

/// URN of the core User schema.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// URN of the core Group schema.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// URN of the Enterprise User extension.
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// URN of the ServiceProviderConfig schema.
pub const SERVICE_PROVIDER_CONFIG_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
/// URN of the ResourceType schema.
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
/// URN of the Schema schema.
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// A read-write, case-insensitive string with the RFC's defaults.
fn s(name: &str, desc: &str) -> A {
    A::string(name).description(desc)
}

fn primary(desc: &str) -> A {
    A::boolean("primary").description(desc)
}

fn display() -> A {
    s(
        "display",
        "A human-readable name, primarily used for display purposes.  READ-ONLY.",
    )
}

fn primary_once(what: &str) -> A {
    primary(&format!(
        "A Boolean value indicating the 'primary' or preferred attribute value for this attribute{what}.  The primary attribute value 'true' MUST appear no more than once."
    ))
}

/// The common attributes every resource has (RFC 7643 §3.1): `id`, `externalId`, `meta`.
pub fn common_attributes() -> Vec<A> {
    vec![
        A::string("id")
            .description("A unique identifier for a SCIM resource as defined by the service provider.")
            .case_exact()
            .mutability(M::ReadOnly)
            .returned(R::Always)
            .uniqueness(U::Server),
        A::string("externalId")
            .description("A String that is an identifier for the resource as defined by the provisioning client.")
            .case_exact(),
        A::complex(
            "meta",
            vec![
                A::string("resourceType").case_exact().mutability(M::ReadOnly),
                A::new("created", T::DateTime).mutability(M::ReadOnly),
                A::new("lastModified", T::DateTime).mutability(M::ReadOnly),
                A::reference("location", &["uri"]).case_exact().mutability(M::ReadOnly),
                A::string("version").case_exact().mutability(M::ReadOnly),
            ],
        )
        .description("A complex attribute containing resource metadata.")
        .mutability(M::ReadOnly),
    ]
}

/// The core User schema (RFC 7643 §4.1, represented as in §8.7.1).
pub fn user_schema() -> Schema {
    let name = A::complex(
        "name",
        vec![
            s("formatted", "The full name, including all middle names, titles, and suffixes as appropriate, formatted for display (e.g., 'Ms. Barbara J Jensen, III')."),
            s("familyName", "The family name of the User, or last name in most Western languages (e.g., 'Jensen' given the full name 'Ms. Barbara J Jensen, III')."),
            s("givenName", "The given name of the User, or first name in most Western languages (e.g., 'Barbara' given the full name 'Ms. Barbara J Jensen, III')."),
            s("middleName", "The middle name(s) of the User (e.g., 'Jane' given the full name 'Ms. Barbara J Jensen, III')."),
            s("honorificPrefix", "The honorific prefix(es) of the User, or title in most Western languages (e.g., 'Ms.' given the full name 'Ms. Barbara J Jensen, III')."),
            s("honorificSuffix", "The honorific suffix(es) of the User, or suffix in most Western languages (e.g., 'III' given the full name 'Ms. Barbara J Jensen, III')."),
        ],
    )
    .description("The components of the user's real name.  Providers MAY return just the full name as a single string in the formatted sub-attribute, or they MAY return just the individual component attributes using the other sub-attributes, or they MAY return both.  If both variants are returned, they SHOULD be describing the same name, with the formatted name indicating how the component attributes should be combined.");

    let emails = A::complex(
        "emails",
        vec![
            s("value", "Email addresses for the user.  The value SHOULD be canonicalized by the service provider, e.g., 'bjensen@example.com' instead of 'bjensen@EXAMPLE.COM'.  Canonical type values of 'work', 'home', and 'other'."),
            display(),
            s("type", "A label indicating the attribute's function, e.g., 'work' or 'home'.")
                .canonical(&["work", "home", "other"]),
            primary_once(", e.g., the preferred mailing address or primary email address"),
        ],
    )
    .multi_valued()
    .description("Email addresses for the user.  The value SHOULD be canonicalized by the service provider, e.g., 'bjensen@example.com' instead of 'bjensen@EXAMPLE.COM'.  Canonical type values of 'work', 'home', and 'other'.");

    let phone_numbers = A::complex(
        "phoneNumbers",
        vec![
            s("value", "Phone number of the User."),
            display(),
            s("type", "A label indicating the attribute's function, e.g., 'work', 'home', 'mobile'.")
                .canonical(&["work", "home", "mobile", "fax", "pager", "other"]),
            primary_once(", e.g., the preferred phone number or primary phone number"),
        ],
    )
    .multi_valued()
    .description("Phone numbers for the User.  The value SHOULD be canonicalized by the service provider according to the format specified in RFC 3966, e.g., 'tel:+1-201-555-0123'.  Canonical type values of 'work', 'home', 'mobile', 'fax', 'pager', and 'other'.");

    let ims = A::complex(
        "ims",
        vec![
            s("value", "Instant messaging address for the User."),
            display(),
            s(
                "type",
                "A label indicating the attribute's function, e.g., 'aim', 'gtalk', 'xmpp'.",
            )
            .canonical(&["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]),
            primary_once(", e.g., the preferred messenger or primary messenger"),
        ],
    )
    .multi_valued()
    .description("Instant messaging addresses for the User.");

    let photos = A::complex(
        "photos",
        vec![
            A::reference("value", &["external"]).description("URL of a photo of the User."),
            display(),
            s(
                "type",
                "A label indicating the attribute's function, i.e., 'photo' or 'thumbnail'.",
            )
            .canonical(&["photo", "thumbnail"]),
            primary_once(", e.g., the preferred photo or thumbnail"),
        ],
    )
    .multi_valued()
    .description("URLs of photos of the User.");

    let addresses = A::complex(
        "addresses",
        vec![
            s("formatted", "The full mailing address, formatted for display or use with a mailing label.  This attribute MAY contain newlines."),
            s("streetAddress", "The full street address component, which may include house number, street name, P.O. box, and multi-line extended street address information.  This attribute MAY contain newlines."),
            s("locality", "The city or locality component."),
            s("region", "The state or region component."),
            s("postalCode", "The zip code or postal code component."),
            s("country", "The country name component."),
            s("type", "A label indicating the attribute's function, e.g., 'work' or 'home'.")
                .canonical(&["work", "home", "other"]),
        ],
    )
    .multi_valued()
    .description("A physical mailing address for this User.  Canonical type values of 'work', 'home', and 'other'.  This attribute is a complex type with the following sub-attributes.");

    let groups = A::complex(
        "groups",
        vec![
            s("value", "The identifier of the User's group.").mutability(M::ReadOnly),
            A::reference("$ref", &["User", "Group"])
                .description("The URI of the corresponding 'Group' resource to which the user belongs.")
                .mutability(M::ReadOnly),
            display().mutability(M::ReadOnly),
            s("type", "A label indicating the attribute's function, e.g., 'direct' or 'indirect'.")
                .canonical(&["direct", "indirect"])
                .mutability(M::ReadOnly),
        ],
    )
    .multi_valued()
    .mutability(M::ReadOnly)
    .description("A list of groups to which the user belongs, either through direct membership, through nested groups, or dynamically calculated.");

    let entitlements = A::complex(
        "entitlements",
        vec![
            s("value", "The value of an entitlement."),
            display(),
            s("type", "A label indicating the attribute's function."),
            primary_once(""),
        ],
    )
    .multi_valued()
    .description("A list of entitlements for the User that represent a thing the User has.");

    let roles = A::complex(
        "roles",
        vec![
            s("value", "The value of a role."),
            display(),
            s("type", "A label indicating the attribute's function.").canonical(&[]),
            primary_once(""),
        ],
    )
    .multi_valued()
    .description("A list of roles for the User that collectively represent who the User is, e.g., 'Student', 'Faculty'.");

    let x509 = A::complex(
        "x509Certificates",
        vec![
            A::new("value", T::Binary).description("The value of an X.509 certificate."),
            display(),
            s("type", "A label indicating the attribute's function.").canonical(&[]),
            primary_once(""),
        ],
    )
    .multi_valued()
    .description("A list of certificates issued to the User.");

    Schema::new(USER_SCHEMA, "User")
        .description("User Account")
        .attribute(
            s("userName", "Unique identifier for the User, typically used by the user to directly authenticate to the service provider.  Each User MUST include a non-empty userName value.  This identifier MUST be unique across the service provider's entire set of Users.  REQUIRED.")
                .required()
                .uniqueness(U::Server),
        )
        .attribute(name)
        .attribute(s("displayName", "The name of the User, suitable for display to end-users.  The name SHOULD be the full name of the User being described, if known."))
        .attribute(s("nickName", "The casual way to address the user in real life, e.g., 'Bob' or 'Bobby' instead of 'Robert'.  This attribute SHOULD NOT be used to represent a User's username (e.g., 'bjensen' or 'mpepperidge')."))
        .attribute(A::reference("profileUrl", &["external"]).description("A fully qualified URL pointing to a page representing the User's online profile."))
        .attribute(s("title", "The user's title, such as \"Vice President.\""))
        .attribute(s("userType", "Used to identify the relationship between the organization and the user.  Typical values used might be 'Contractor', 'Employee', 'Intern', 'Temp', 'External', and 'Unknown', but any value may be used."))
        .attribute(s("preferredLanguage", "Indicates the User's preferred written or spoken language.  Generally used for selecting a localized user interface; e.g., 'en_US' specifies the language English and country US."))
        .attribute(s("locale", "Used to indicate the User's default location for purposes of localizing items such as currency, date time format, or numerical representations."))
        .attribute(s("timezone", "The User's time zone in the 'Olson' time zone database format, e.g., 'America/Los_Angeles'."))
        .attribute(A::boolean("active").description("A Boolean value indicating the User's administrative status."))
        .attribute(
            s("password", "The User's cleartext password.  This attribute is intended to be used as a means to specify an initial password when creating a new User or to reset an existing User's password.")
                .mutability(M::WriteOnly)
                .returned(R::Never),
        )
        .attribute(emails)
        .attribute(phone_numbers)
        .attribute(ims)
        .attribute(photos)
        .attribute(addresses)
        .attribute(groups)
        .attribute(entitlements)
        .attribute(roles)
        .attribute(x509)
}

/// The core Group schema (RFC 7643 §4.2, represented as in §8.7.1).
pub fn group_schema() -> Schema {
    Schema::new(GROUP_SCHEMA, "Group")
        .description("Group")
        .attribute(s("displayName", "A human-readable name for the Group.  REQUIRED."))
        .attribute(
            A::complex(
                "members",
                vec![
                    s("value", "Identifier of the member of this Group.").mutability(M::Immutable),
                    A::reference("$ref", &["User", "Group"])
                        .description("The URI corresponding to a SCIM resource that is a member of this Group.")
                        .mutability(M::Immutable),
                    s("type", "A label indicating the type of resource, e.g., 'User' or 'Group'.")
                        .canonical(&["User", "Group"])
                        .mutability(M::Immutable),
                ],
            )
            .multi_valued()
            .description("A list of members of the Group."),
        )
}

/// The Enterprise User extension (RFC 7643 §4.3, represented as in §8.7.1).
pub fn enterprise_user_schema() -> Schema {
    Schema::new(ENTERPRISE_USER_SCHEMA, "EnterpriseUser")
        .description("Enterprise User")
        .attribute(s("employeeNumber", "Numeric or alphanumeric identifier assigned to a person, typically based on order of hire or association with an organization."))
        .attribute(s("costCenter", "Identifies the name of a cost center."))
        .attribute(s("organization", "Identifies the name of an organization."))
        .attribute(s("division", "Identifies the name of a division."))
        .attribute(s("department", "Identifies the name of a department."))
        .attribute(
            A::complex(
                "manager",
                vec![
                    s("value", "The id of the SCIM resource representing the User's manager.  REQUIRED."),
                    A::reference("$ref", &["User"])
                        .description("The URI of the SCIM resource representing the User's manager.  REQUIRED."),
                    s("displayName", "The displayName of the User's manager.  OPTIONAL and READ-ONLY.")
                        .mutability(M::ReadOnly),
                ],
            )
            .description("The User's manager.  A complex type that optionally allows service providers to represent organizational hierarchy by referencing the 'id' attribute of another User."),
        )
}
