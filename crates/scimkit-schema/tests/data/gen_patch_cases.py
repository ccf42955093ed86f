#!/usr/bin/env python3
"""Writes patch_cases.json: the PATCH table (before, operations, expected change or error).

Expectations are written by hand here as edits of the fixtures ("set" replaces or adds a
top-level member, "unset" removes one); they are never computed by the engine under test.
Regenerate with: python3 gen_patch_cases.py > patch_cases.json
"""
import json, copy

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

U1 = {
    "schemas": [USER], "id": "2819c223", "externalId": "701984", "userName": "bjensen",
    "name": {"givenName": "Barbara", "familyName": "Jensen"},
    "displayName": "Babs Jensen", "active": True,
    "emails": [{"value": "bjensen@example.com", "type": "work", "primary": True},
               {"value": "babs@jensen.org", "type": "home"}],
    "phoneNumbers": [{"value": "555-555-8377", "type": "work"}],
    "meta": {"resourceType": "User", "created": "2010-01-23T04:56:22Z",
             "lastModified": "2011-05-13T04:42:34Z", "version": "W/\"a330bc54f0671c9\""},
}
U2 = copy.deepcopy(U1)
U2["schemas"] = [USER, ENT]
U2[ENT] = {"employeeNumber": "701984", "department": "Tour Operations",
           "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}}
U3 = copy.deepcopy(U1)
U3["addresses"] = [{"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood",
                    "region": "CA", "postalCode": "91608", "country": "USA"},
                   {"type": "home", "streetAddress": "456 Hollywood Blvd", "locality": "Hollywood",
                    "region": "CA", "postalCode": "91608", "country": "USA"}]
U3["password"] = "t1meMa$heen"
U4 = {"schemas": [USER], "id": "5171a35d", "userName": "deanruiz@testuser.com", "active": True}
G1 = {"schemas": [GROUP], "id": "e9e30dba", "displayName": "Tour Guides",
      "members": [{"value": "2819c223", "display": "Babs Jensen", "type": "User"},
                  {"value": "902c246b", "type": "User"}]}
G2 = {"schemas": [GROUP], "id": "acbf3ae7", "displayName": "Employees"}
G3 = {"schemas": [GROUP], "id": "a99962b9", "displayName": "Entra",
      "members": [{"value": "u1091"}, {"value": "7f4bc1a3-285e-48ae-8202-5accb43efb0e"},
                  {"value": "89bb1940-b905-4575-9e7f-6f887cfb368e"}]}
FIX = {"U1": U1, "U2": U2, "U3": U3, "U4": U4, "G1": G1, "G2": G2, "G3": G3}
TYPE = {"U": "User", "G": "Group"}

cases = []

def op(o, path=None, value=None, novalue=False):
    d = {"op": o}
    if path is not None:
        d["path"] = path
    if not novalue:
        d["value"] = value
    return d

def ok(name, fix, ops, set=None, unset=(), changed=None, profile="default"):
    c = {"name": name, "type": TYPE[fix[0]], "before": fix, "profile": profile,
         "operations": ops if isinstance(ops, list) else [ops],
         "expect": {"set": set or {}, "unset": list(unset)}}
    if changed is not None:
        c["expect"]["changed"] = changed
    cases.append(c)

def err(name, fix, ops, scim_type, status=400, profile="default"):
    cases.append({"name": name, "type": TYPE[fix[0]], "before": fix, "profile": profile,
                  "operations": ops if isinstance(ops, list) else [ops],
                  "error": {"status": status, "scimType": scim_type}})

def emails(*items):
    return list(items)

W = {"value": "bjensen@example.com", "type": "work", "primary": True}
H = {"value": "babs@jensen.org", "type": "home"}
NAME = U1["name"]

# --- add, simple and complex -------------------------------------------------------------
ok("add nickName", "U1", op("add", "nickName", "Babs"), {"nickName": "Babs"}, changed=["nickName"])
ok("add path is case-insensitive", "U1", op("add", "NICKNAME", "Babs"), {"nickName": "Babs"}, changed=["nickName"])
ok("add on a single-valued attribute replaces it", "U1", op("add", "displayName", "B J"), {"displayName": "B J"})
ok("add boolean", "U1", op("add", "active", False), {"active": False}, changed=["active"])
ok("add boolean from Entra string", "U1", op("add", "active", "False"), {"active": False})
err("string boolean rejected by strict profile", "U1", op("add", "active", "False"), "invalidValue", profile="strict")
err("non-boolean string", "U1", op("add", "active", "yes"), "invalidValue")
err("empty userName", "U1", op("add", "userName", ""), "invalidValue")
err("userName of wrong type", "U1", op("add", "userName", 42), "invalidValue")
err("add with null value", "U1", op("add", "title", None), "invalidValue")
err("add without value", "U1", op("add", "title", novalue=True), "invalidValue")
ok("add identical value changes nothing", "U1", op("add", "displayName", "Babs Jensen"), changed=[])
ok("add sub-attribute", "U1", op("add", "name.middleName", "Jane"),
   {"name": {**NAME, "middleName": "Jane"}}, changed=["name.middleName"])
ok("add complex merges", "U1", op("add", "name", {"middleName": "Jane"}), {"name": {**NAME, "middleName": "Jane"}}, changed=["name"])
ok("add complex replaces given sub-attributes", "U1", op("add", "name", {"givenName": "Barb"}),
   {"name": {"givenName": "Barb", "familyName": "Jensen"}})
ok("add sub-attribute path in any case", "U1", op("add", "NAME.GIVENNAME", "Barb"),
   {"name": {"givenName": "Barb", "familyName": "Jensen"}})
ok("add to multi-valued appends", "U1", op("add", "emails", [{"value": "new@example.com", "type": "other"}]),
   {"emails": [W, H, {"value": "new@example.com", "type": "other"}]}, changed=["emails"])
ok("add duplicate element changes nothing", "U1", op("add", "emails", [{"value": "bjensen@example.com", "type": "work"}]), changed=[])
ok("duplicate detection honours caseExact false", "U1", op("add", "emails", [{"value": "BJENSEN@example.com", "type": "work"}]), changed=[])
ok("new primary clears the old one", "U1", op("add", "emails", [{"value": "new@example.com", "type": "other", "primary": True}]),
   {"emails": [{**W, "primary": False}, H, {"value": "new@example.com", "type": "other", "primary": True}]})
ok("add primary to an existing element", "U1", op("add", "emails", [{"value": "babs@jensen.org", "type": "home", "primary": True}]),
   {"emails": [{**W, "primary": False}, {**H, "primary": True}]})
ok("single object added to multi-valued", "U1", op("add", "emails", {"value": "x@example.com"}),
   {"emails": [W, H, {"value": "x@example.com"}]})
err("two primaries in one add", "U1", op("add", "emails", [{"value": "a@x", "primary": True}, {"value": "b@x", "primary": True}]), "invalidValue")
ok("bare string for multi-valued complex becomes value", "U1", op("add", "emails", "x@example.com"),
   {"emails": [W, H, {"value": "x@example.com"}]})
ok("add phone number", "U1", op("add", "phoneNumbers", [{"value": "555-1", "type": "mobile"}]),
   {"phoneNumbers": [{"value": "555-555-8377", "type": "work"}, {"value": "555-1", "type": "mobile"}]})
err("binary must be base64", "U1", op("add", "x509Certificates", [{"value": "not base64!!"}]), "invalidValue")
ok("binary base64 accepted", "U1", op("add", "x509Certificates", [{"value": "TUlJRGRUQ0NBbDJn"}]),
   {"x509Certificates": [{"value": "TUlJRGRUQ0NBbDJn"}]})
err("unknown attribute path", "U1", op("add", "foo", 1), "invalidPath")
err("unknown sub-attribute path", "U1", op("add", "name.foo", "x"), "invalidPath")
err("sub-attribute of a simple attribute", "U1", op("add", "displayName.sub", "x"), "invalidPath")
err("malformed path", "U1", op("add", "emails[type eq", "x"), "invalidPath")
err("value filter on a single-valued attribute", "U1", op("add", "name[givenName eq \"x\"]", "x"), "invalidPath")
err("add id is read-only", "U1", op("add", "id", "x"), "mutability")
err("add meta.created is read-only", "U1", op("add", "meta.created", "2020-01-01T00:00:00Z"), "mutability")
err("add groups is read-only", "U1", op("add", "groups", [{"value": "g1"}]), "mutability")
ok("add writeOnly password", "U1", op("add", "password", "s3cret!"), {"password": "s3cret!"}, changed=["password"])
ok("path-less add of several attributes", "U1", op("add", None, {"nickName": "Babs", "title": "Tour Guide"}),
   {"nickName": "Babs", "title": "Tour Guide"})
err("path-less add needs an object", "U1", op("add", None, "x"), "invalidValue")
ok("path-less add merges complex", "U1", op("add", None, {"name": {"middleName": "J"}}), {"name": {**NAME, "middleName": "J"}})
ok("path-less unknown attribute ignored by default", "U1", op("add", None, {"foo": 1}), changed=[])
err("path-less unknown attribute rejected by strict", "U1", op("add", None, {"foo": 1}), "invalidPath", profile="strict")
ok("add sub-attribute through value filter", "U1", op("add", "emails[type eq \"work\"].display", "Work"),
   {"emails": [{**W, "display": "Work"}, H]}, changed=["emails.display"])
err("add through unmatched filter", "U1", op("add", "emails[type eq \"other\"].value", "o@x"), "noTarget")
ok("add through unmatched filter creates (Entra)", "U1", op("add", "emails[type eq \"other\"].value", "o@x"),
   {"emails": [W, H, {"type": "other", "value": "o@x"}]}, profile="entra-id")
ok("add string attribute", "U1", op("add", "preferredLanguage", "en-US"), {"preferredLanguage": "en-US"})
err("reference of wrong type", "U1", op("add", "profileUrl", 5), "invalidValue")
err("bare string for complex without value sub-attribute", "U1", op("add", "name", "x"), "invalidValue")
err("array for single-valued attribute under strict", "U1", op("add", "displayName", ["a"]), "invalidValue", profile="strict")
ok("one-element array for single-valued attribute is unwrapped", "U1", op("add", "displayName", ["a"]), {"displayName": "a"})
err("two-element array for single-valued attribute", "U1", op("add", "displayName", ["a", "b"]), "invalidValue")
ok("Entra add manager without URN, as an array", "U1",
   op("Add", "manager", [{"$ref": "http://.../scim/Users/00aa00aa", "value": "00aa00aa"}]),
   {ENT: {"manager": {"$ref": "http://.../scim/Users/00aa00aa", "value": "00aa00aa"}}, "schemas": [USER, ENT]},
   changed=[ENT + ":manager"], profile="entra-id")
err("extension attribute without URN under strict", "U1", op("add", "manager", {"value": "m"}), "invalidPath", profile="strict")
ok("path-less key naming an extension attribute without URN", "U1", op("replace", None, {"department": "D"}),
   {ENT: {"department": "D"}, "schemas": [USER, ENT]})
ok("unknown sub-attribute inside value ignored", "U1", op("add", "name", {"middleName": "J", "nick": "x"}),
   {"name": {**NAME, "middleName": "J"}})
err("unknown sub-attribute inside value rejected by strict", "U1", op("add", "name", {"nick": "x"}), "invalidSyntax", profile="strict")
err("sub-attribute keys differing only in case", "U1", op("add", "name", {"givenName": "a", "GIVENNAME": "b"}), "invalidSyntax")

# --- replace -------------------------------------------------------------------------------
ok("replace displayName", "U1", op("replace", "displayName", "New"), {"displayName": "New"}, changed=["displayName"])
ok("replace userName", "U1", op("replace", "userName", "newname"), {"userName": "newname"})
err("replace userName with empty", "U1", op("replace", "userName", ""), "invalidValue")
ok("replace boolean from upper-case string", "U1", op("Replace", "active", "FALSE"), {"active": False})
ok("replace with same boolean string changes nothing", "U1", op("Replace", "active", "True"), changed=[])
ok("replace complex merges", "U1", op("replace", "name", {"givenName": "Barb"}), {"name": {"givenName": "Barb", "familyName": "Jensen"}})
ok("replace sub-attribute", "U1", op("replace", "name.familyName", "Jensen-Smith"), {"name": {"givenName": "Barbara", "familyName": "Jensen-Smith"}})
ok("replace multi-valued replaces all", "U1", op("replace", "emails", [{"value": "only@x", "type": "work"}]),
   {"emails": [{"value": "only@x", "type": "work"}]})
ok("replace filtered sub-attribute", "U1", op("replace", "emails[type eq \"work\"].value", "bj@x"),
   {"emails": [{**W, "value": "bj@x"}, H]}, changed=["emails.value"])
ok("replace filtered element", "U1", op("replace", "emails[type eq \"work\"]", {"value": "w@x", "type": "work"}),
   {"emails": [{"value": "w@x", "type": "work"}, H]}, changed=["emails"])
err("replace unmatched filter is noTarget", "U1", op("replace", "emails[type eq \"other\"].value", "o@x"), "noTarget")
ok("replace unmatched filter creates (Entra)", "U1", op("replace", "emails[type eq \"other\"].value", "o@x"),
   {"emails": [W, H, {"type": "other", "value": "o@x"}]}, profile="entra-id")
ok("replace primary moves it", "U1", op("replace", "emails[type eq \"home\"].primary", True),
   {"emails": [{**W, "primary": False}, {**H, "primary": True}]})
ok("replace through ew filter", "U1", op("replace", "emails[value ew \"example.com\"].type", "other"),
   {"emails": [{**W, "type": "other"}, H]})
ok("replace through and filter", "U1", op("replace", "emails[type eq \"work\" and value co \"bjensen\"].display", "x"),
   {"emails": [{**W, "display": "x"}, H]})
ok("replace through boolean filter", "U1", op("replace", "emails[primary eq true].value", "p@x"),
   {"emails": [{**W, "value": "p@x"}, H]})
ok("replace absent attribute adds it", "U1", op("replace", "nickName", "Babs"), {"nickName": "Babs"})
ok("replace absent attribute with null changes nothing", "U1", op("replace", "title", None), changed=[])
ok("replace with null removes", "U1", op("replace", "displayName", None), unset=["displayName"], changed=["displayName"])
ok("replace id with its own value is a no-op", "U1", op("replace", "id", "2819c223"), changed=[])
err("replace id with another value", "U1", op("replace", "id", "other"), "mutability")
err("replace id with own value under strict", "U1", op("replace", "id", "2819c223"), "mutability", profile="strict")
ok("Okta path-less replace of active", "U1", op("replace", None, {"active": False}), {"active": False}, changed=["active"])
ok("Entra path-less replace with dotted and URN keys", "U1",
   op("replace", None, {"displayName": "Bjfe", "name.givenName": "Kkom", "name.familyName": "Unua",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq"}),
   {"displayName": "Bjfe", "name": {"givenName": "Kkom", "familyName": "Unua"},
    ENT: {"employeeNumber": "Aklq"}, "schemas": [USER, ENT]},
   changed=["displayName", "name.givenName", "name.familyName", ENT + ":employeeNumber"])
err("dotted keys rejected by strict", "U1", op("replace", None, {"name.givenName": "K"}), "invalidPath", profile="strict")
ok("path-less key with value filter", "U1", op("replace", None, {"emails[type eq \"work\"].value": "e@x"}),
   {"emails": [{**W, "value": "e@x"}, H]})
ok("replace extension attribute", "U2", op("replace", ENT + ":department", "Sales"),
   {ENT: {**U2[ENT], "department": "Sales"}}, changed=[ENT + ":department"])
ok("Entra manager as bare id", "U2", op("replace", ENT + ":manager", "bare-id"),
   {ENT: {**U2[ENT], "manager": {"value": "bare-id", "displayName": "John Smith"}}})
ok("read-only manager.displayName input ignored", "U2", op("replace", ENT + ":manager", {"value": "m2", "displayName": "ignored"}),
   {ENT: {**U2[ENT], "manager": {"value": "m2", "displayName": "John Smith"}}})
ok("replace manager.value", "U2", op("replace", ENT + ":manager.value", "m3"),
   {ENT: {**U2[ENT], "manager": {"value": "m3", "displayName": "John Smith"}}}, changed=[ENT + ":manager.value"])
err("manager.displayName is read-only", "U2", op("replace", ENT + ":manager.displayName", "x"), "mutability")
ok("add extension attribute creates extension and lists it", "U1", op("add", ENT + ":employeeNumber", "42"),
   {ENT: {"employeeNumber": "42"}, "schemas": [USER, ENT]})
ok("replace whole extension by URN path", "U1", op("replace", ENT, {"department": "X"}),
   {ENT: {"department": "X"}, "schemas": [USER, ENT]})
ok("URN path in any case; the 2.0 dot never splits it", "U1", op("replace", ENT.upper() + ":DEPARTMENT", "X"),
   {ENT: {"department": "X"}, "schemas": [USER, ENT]})
err("unknown extension URN", "U1", op("replace", "urn:ietf:params:scim:schemas:extension:unknown:2.0:User:foo", "x"), "invalidPath")
ok("core URN prefix", "U1", op("replace", USER + ":userName", "x"), {"userName": "x"})
ok("core URN prefix with sub-attribute", "U1", op("replace", USER + ":name.givenName", "B"),
   {"name": {"givenName": "B", "familyName": "Jensen"}})
ok("Entra creates email on user without emails", "U4", op("replace", "emails[type eq \"work\"].value", "w@x"),
   {"emails": [{"type": "work", "value": "w@x"}]}, profile="entra-id")
ok("replace phone through filter", "U1", op("replace", "phoneNumbers[type eq \"work\"].value", "555-0000"),
   {"phoneNumbers": [{"value": "555-0000", "type": "work"}]})
err("replace address on user without addresses", "U1", op("replace", "addresses[type eq \"work\"].streetAddress", "x"), "noTarget")
ok("filter value compares without case for caseExact false", "U1", op("replace", "emails[value eq \"BJENSEN@EXAMPLE.COM\"].type", "other"),
   {"emails": [{**W, "type": "other"}, H]})
err("immutable member value cannot change", "G1", op("replace", "members[value eq \"2819c223\"].value", "x"), "mutability")
ok("immutable member value set to itself", "G1", op("replace", "members[value eq \"2819c223\"].value", "2819c223"), changed=[])
ok("replace all members", "G1", op("replace", "members", [{"value": "a"}]), {"members": [{"value": "a"}]})
ok("replace group displayName", "G1", op("replace", "displayName", "Guides"), {"displayName": "Guides"})
err("replacing a member element must keep immutable values", "G1", op("replace", "members[value eq \"2819c223\"]", {"value": "zzz"}), "mutability")
err("replace groups", "U1", op("replace", "groups", [{"value": "g"}]), "mutability")
err("replace meta", "U1", op("replace", "meta", {"version": "x"}), "mutability")
err("boolean sub-attribute must be a boolean", "U1", op("replace", "x509Certificates", [{"value": "AAAA", "primary": "maybe"}]), "invalidValue")

# --- remove ----------------------------------------------------------------------------------
ok("remove attribute", "U1", op("remove", "displayName", novalue=True), unset=["displayName"], changed=["displayName"])
err("remove required attribute", "U1", op("remove", "userName", novalue=True), "mutability")
err("remove without path", "U1", op("remove", novalue=True), "noTarget")
ok("remove sub-attribute", "U1", op("remove", "name.givenName", novalue=True), {"name": {"familyName": "Jensen"}}, changed=["name.givenName"])
ok("removing last sub-attribute unassigns the attribute", "U1",
   [op("remove", "name.givenName", novalue=True), op("remove", "name.familyName", novalue=True)], unset=["name"])
ok("remove multi-valued attribute", "U1", op("remove", "emails", novalue=True), unset=["emails"])
ok("remove filtered element", "U1", op("remove", "emails[type eq \"home\"]", novalue=True), {"emails": [W]}, changed=["emails"])
ok("remove unmatched filter changes nothing", "U1", op("remove", "emails[type eq \"other\"]", novalue=True), changed=[])
ok("remove filtered sub-attribute", "U1", op("remove", "emails[type eq \"work\"].primary", novalue=True),
   {"emails": [{"value": "bjensen@example.com", "type": "work"}, H]})
ok("remove every element unassigns", "U1", op("remove", "emails[value co \"@\"]", novalue=True), unset=["emails"])
err("remove id", "U1", op("remove", "id", novalue=True), "mutability")
err("remove meta", "U1", op("remove", "meta", novalue=True), "mutability")
ok("remove absent attribute changes nothing", "U1", op("remove", "nickName", novalue=True), changed=[])
ok("remove extension attribute", "U2", op("remove", ENT + ":department", novalue=True),
   {ENT: {"employeeNumber": "701984", "manager": U2[ENT]["manager"]}}, changed=[ENT + ":department"])
ok("remove extension complex attribute", "U2", op("remove", ENT + ":manager", novalue=True),
   {ENT: {"employeeNumber": "701984", "department": "Tour Operations"}})
ok("remove whole extension", "U2", op("remove", ENT, novalue=True), {"schemas": [USER]}, unset=[ENT], changed=[ENT])
ok("removing every extension attribute drops the extension", "U2",
   [op("remove", ENT + ":employeeNumber", novalue=True), op("remove", ENT + ":department", novalue=True),
    op("remove", ENT + ":manager", novalue=True)], {"schemas": [USER]}, unset=[ENT])
ok("remove member by filter", "G1", op("remove", "members[value eq \"2819c223\"]", novalue=True),
   {"members": [{"value": "902c246b", "type": "User"}]})
ok("Entra remove members with value list", "G1", op("Remove", "members", [{"value": "2819c223"}]),
   {"members": [{"value": "902c246b", "type": "User"}]}, changed=["members"])
ok("Entra remove members with $ref null", "G1", op("Remove", "members", [{"$ref": None, "value": "2819c223"}]),
   {"members": [{"value": "902c246b", "type": "User"}]})
err("remove with value list under strict", "G1", op("remove", "members", [{"value": "2819c223"}]), "invalidValue", profile="strict")
ok("remove unknown member by value changes nothing", "G1", op("remove", "members", [{"value": "nope"}]), changed=[])
ok("remove every member by value", "G1", op("remove", "members", [{"value": "2819c223"}, {"value": "902c246b"}]), unset=["members"])
ok("remove all members", "G1", op("remove", "members", novalue=True), unset=["members"])
err("remove immutable member sub-attribute", "G1", op("remove", "members[value eq \"2819c223\"].value", novalue=True), "mutability")
err("remove groups", "U1", op("remove", "groups", novalue=True), "mutability")
ok("remove password", "U3", op("remove", "password", novalue=True), unset=["password"])
ok("remove filtered value sub-attribute", "U1", op("remove", "emails[type eq \"work\"].value", novalue=True),
   {"emails": [{"type": "work", "primary": True}, H]})
err("remove unknown attribute", "U1", op("remove", "foo", novalue=True), "invalidPath")
ok("remove address by filter", "U3", op("remove", "addresses[type eq \"home\"]", novalue=True),
   {"addresses": [U3["addresses"][0]]})

# --- atomicity ---------------------------------------------------------------------------------
err("second operation fails: nothing applied", "U1",
    [op("replace", "displayName", "X"), op("remove", "userName", novalue=True)], "mutability")
err("noTarget after successful add: nothing applied", "U1",
    [op("add", "nickName", "B"), op("replace", "emails[type eq \"zzz\"].value", "x")], "noTarget")
err("extension added then failure: extension rolled back", "U1",
    [op("add", ENT + ":employeeNumber", "1"), op("add", "id", "x")], "mutability")
ok("three operations", "U1",
   [op("replace", "displayName", "X"), op("add", "title", "T"), op("remove", "phoneNumbers", novalue=True)],
   {"displayName": "X", "title": "T"}, unset=["phoneNumbers"], changed=["displayName", "title", "phoneNumbers"])
ok("operations see earlier operations", "U1",
   [op("add", "nickName", "A"), op("replace", "nickName", "B")], {"nickName": "B"}, changed=["nickName"])
ok("add then remove leaves the resource unchanged", "U1",
   [op("add", "title", "T"), op("remove", "title", novalue=True)], changed=["title"])

# --- RFC 7644 §3.5.2 examples ------------------------------------------------------------------
BABS = {"display": "Babs Jensen", "$ref": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646",
        "value": "2819c223-7f76-453a-919d-413861904646"}
ok("RFC 7644 3.5.2.1 add member", "G2", op("add", "members", [BABS]), {"members": [BABS]})
ok("RFC 7644 3.5.2.1 path-less add", "U1",
   op("add", None, {"emails": [{"value": "babs@jensen.org", "type": "home"}], "nickname": "Babs"}),
   {"nickName": "Babs"}, changed=["nickName"])
G1B = copy.deepcopy(G1); 
ok("RFC 7644 3.5.2.2 remove all members", "G1", op("remove", "members", novalue=True), unset=["members"])
ok("RFC 7644 3.5.2.2 remove one member", "G1", op("remove", "members[value eq \"2819c223\"]", novalue=True),
   {"members": [{"value": "902c246b", "type": "User"}]})
ok("RFC 7644 3.5.2.2 remove and add", "G1",
   [op("remove", "members[value eq \"2819c223\"]", novalue=True),
    op("add", "members", [{"display": "James Smith", "$ref": "https://example.com/v2/Users/08e1d05d", "value": "08e1d05d"}])],
   {"members": [{"value": "902c246b", "type": "User"},
                {"display": "James Smith", "$ref": "https://example.com/v2/Users/08e1d05d", "value": "08e1d05d"}]})
ok("RFC 7644 3.5.2.3 replace all members", "G1",
   op("replace", "members", [{"display": "Babs Jensen", "$ref": "https://example.com/v2/Users/2819c223", "value": "2819c223"},
                             {"display": "James Smith", "$ref": "https://example.com/v2/Users/08e1d05d", "value": "08e1d05d"}]),
   {"members": [{"display": "Babs Jensen", "$ref": "https://example.com/v2/Users/2819c223", "value": "2819c223"},
                {"display": "James Smith", "$ref": "https://example.com/v2/Users/08e1d05d", "value": "08e1d05d"}]})
WORK_ADDR = {"type": "work", "streetAddress": "911 Universal City Plaza", "locality": "Hollywood",
             "region": "CA", "postalCode": "91608", "country": "US", "formatted": "911 Universal City Plaza\nHollywood, CA 91608 US",
             "primary": True}
ok("RFC 7644 3.5.2.3 replace address element", "U3", op("replace", "addresses[type eq \"work\"]", WORK_ADDR),
   {"addresses": [WORK_ADDR, U3["addresses"][1]]})
ok("RFC 7644 3.5.2.3 replace street address", "U3", op("replace", "addresses[type eq \"work\"].streetAddress", "1010 Broadway Ave"),
   {"addresses": [{**U3["addresses"][0], "streetAddress": "1010 Broadway Ave"}, U3["addresses"][1]]})
ok("RFC 7644 3.5.2.3 path-less replace", "U1",
   op("replace", None, {"emails": [{"value": "bjensen@example.com", "type": "work", "primary": True},
                                   {"value": "babs@jensen.org", "type": "home"}], "nickname": "Babs"}),
   {"nickName": "Babs"}, changed=["nickName"])

# --- Entra ID (learn.microsoft.com: "Known issues and resolutions with SCIM 2.0 protocol compliance") ---
ok("Entra disable user, default shape", "U1", op("Replace", "active", "False"), {"active": False}, profile="entra-id")
ok("Entra disable user, aadOptscim062020 shape", "U1", op("replace", "active", False), {"active": False}, profile="entra-id")
ok("Entra add single-value string, default shape", "U1", op("Add", "nickName", "Babs"), {"nickName": "Babs"}, profile="entra-id")
ok("Entra replace multiple attributes, default shape", "U1",
   [op("Replace", "displayName", "Pvlo"), op("Replace", "emails[type eq \"work\"].value", "TestBcwqnm@test.microsoft.com"),
    op("Replace", "name.givenName", "Gtfd"), op("Replace", "name.familyName", "Pkqf"), op("Replace", "externalId", "Eqpj"),
    op("Replace", ENT + ":employeeNumber", "Eqpj")],
   {"displayName": "Pvlo", "emails": [{**W, "value": "TestBcwqnm@test.microsoft.com"}, H],
    "name": {"givenName": "Gtfd", "familyName": "Pkqf"}, "externalId": "Eqpj",
    ENT: {"employeeNumber": "Eqpj"}, "schemas": [USER, ENT]}, profile="entra-id")
ok("Entra replace multiple attributes, aadOptscim062020 shape", "U1",
   [op("replace", "emails[type eq \"work\"].value", "TestMhvaes@test.microsoft.com"),
    op("replace", None, {"displayName": "Bjfe", "name.givenName": "Kkom", "name.familyName": "Unua", ENT + ":employeeNumber": "Aklq"})],
   {"displayName": "Bjfe", "emails": [{**W, "value": "TestMhvaes@test.microsoft.com"}, H],
    "name": {"givenName": "Kkom", "familyName": "Unua"}, ENT: {"employeeNumber": "Aklq"}, "schemas": [USER, ENT]}, profile="entra-id")
ok("Entra remove member, default shape", "G3", op("Remove", "members", [{"value": "u1091"}]),
   {"members": G3["members"][1:]}, profile="entra-id")
ok("Entra remove member, aadOptscim062020 shape", "G3", op("remove", "members[value eq \"7f4bc1a3-285e-48ae-8202-5accb43efb0e\"]", novalue=True),
   {"members": [G3["members"][0], G3["members"][2]]}, profile="entra-id")
ok("Entra add member with $ref null", "G2", op("Add", "members", [{"$ref": None, "value": "f648f8d5ea4e4cd38e9c"}]),
   {"members": [{"value": "f648f8d5ea4e4cd38e9c"}]}, profile="entra-id")
ok("Entra update user multi-valued properties", "U1",
   [op("Replace", "emails[type eq \"work\"].value", "updatedEmail@microsoft.com"), op("Replace", "name.familyName", "updatedFamilyName")],
   {"emails": [{**W, "value": "updatedEmail@microsoft.com"}, H], "name": {"givenName": "Barbara", "familyName": "updatedFamilyName"}},
   profile="entra-id")
ok("Entra update userName", "U4", op("Replace", "userName", "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"),
   {"userName": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"}, profile="entra-id")
ok("Entra add manager as bare id", "U1", op("Add", ENT + ":manager", "26118915-6090-4610-87e4-49d8ca9f808d"),
   {ENT: {"manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}}, "schemas": [USER, ENT]}, profile="entra-id")

ok("Entra role by primary eq \"True\" creates a boolean primary", "U1",
   op("Replace", "roles[primary eq \"True\"].value", "Admin"),
   {"roles": [{"primary": True, "value": "Admin"}]}, profile="entra-id")
ok("Entra role by primary eq \"True\" updates the primary role", "U1",
   [op("add", "roles", [{"value": "User", "primary": True}]), op("Replace", "roles[primary eq \"True\"].value", "Admin")],
   {"roles": [{"primary": True, "value": "Admin"}]}, profile="entra-id")

# --- Okta (developer.okta.com: "Okta and SCIM Version 2.0") ---------------------------------------
ok("Okta group rename carrying id", "G1",
   op("replace", None, {"id": "e9e30dba", "displayName": "Test SCIMv2"}), {"displayName": "Test SCIMv2"},
   changed=["displayName"], profile="okta")
ok("Okta membership update", "G3",
   [op("remove", "members[value eq \"89bb1940-b905-4575-9e7f-6f887cfb368e\"]", novalue=True),
    op("add", "members", [{"value": "23a35c27-23d3-4c03-b4c5-6443c09e7173", "display": "test.user@okta.local"}])],
   {"members": [G3["members"][0], G3["members"][1],
                {"value": "23a35c27-23d3-4c03-b4c5-6443c09e7173", "display": "test.user@okta.local"}]}, profile="okta")
ok("Okta deactivate", "U1", op("replace", None, {"active": False}), {"active": False}, profile="okta")

# Fixtures are stored by name to keep the file small.
print(json.dumps({"fixtures": FIX, "cases": cases}, indent=1, sort_keys=True))
