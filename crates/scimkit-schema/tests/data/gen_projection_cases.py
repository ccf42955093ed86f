#!/usr/bin/env python3
"""Writes projection_cases.json: attributes / excludedAttributes and the expected document.

Expectations are written by hand as the kept members of the fixture; never computed by the
code under test. Regenerate with: python3 gen_projection_cases.py > projection_cases.json
"""
import json, copy

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

U = {
    "schemas": [USER, ENT], "id": "2819c223", "externalId": "701984", "userName": "bjensen",
    "name": {"givenName": "Barbara", "familyName": "Jensen"}, "displayName": "Babs Jensen",
    "active": True, "password": "t1meMa$heen",
    "emails": [{"value": "bjensen@example.com", "type": "work", "primary": True},
               {"value": "babs@jensen.org", "type": "home"}],
    "phoneNumbers": [{"value": "555-555-8377", "type": "work"}],
    "groups": [{"value": "e9e30dba", "display": "Tour Guides", "$ref": "https://example.com/v2/Groups/e9e30dba"}],
    "meta": {"resourceType": "User", "created": "2010-01-23T04:56:22Z", "version": "W/\"3694e05e9dff591\""},
    ENT: {"employeeNumber": "701984", "department": "Tour Operations",
          "manager": {"value": "26118915", "displayName": "John Smith"}},
}
G = {"schemas": [GROUP], "id": "e9e30dba", "displayName": "Tour Guides",
     "members": [{"value": "2819c223", "display": "Babs Jensen"}, {"value": "902c246b"}],
     "meta": {"resourceType": "Group"}}

def pick(doc, *keys):
    return {k: copy.deepcopy(doc[k]) for k in keys}

def without(doc, *keys):
    d = copy.deepcopy(doc)
    for k in keys:
        d.pop(k, None)
    return d

BASE = ("schemas", "id")
DEFAULT = without(U, "password")
cases = []

def case(name, expect, attributes=None, excluded=None, fixture="U", rtype="User"):
    c = {"name": name, "type": rtype, "fixture": fixture, "expect": expect}
    if attributes is not None:
        c["attributes"] = attributes
    if excluded is not None:
        c["excludedAttributes"] = excluded
    cases.append(c)

def err(name, attributes=None, excluded=None):
    c = {"name": name, "type": "User", "fixture": "U", "error": "invalidValue"}
    if attributes is not None:
        c["attributes"] = attributes
    if excluded is not None:
        c["excludedAttributes"] = excluded
    cases.append(c)

case("no parameters: everything but returned never", DEFAULT)
case("attributes=userName", pick(U, *BASE, "userName"), "userName")
case("attribute names are case-insensitive", pick(U, *BASE, "userName"), "USERNAME")
case("complex attribute with all sub-attributes", pick(U, *BASE, "name"), "name")
case("one sub-attribute", {**pick(U, *BASE), "name": {"givenName": "Barbara"}}, "name.givenName")
case("two sub-attributes", pick(U, *BASE, "name"), "name.givenName,name.familyName")
case("multi-valued attribute", pick(U, *BASE, "emails"), "emails")
case("sub-attribute of multi-valued", {**pick(U, *BASE), "emails": [{"value": "bjensen@example.com"}, {"value": "babs@jensen.org"}]}, "emails.value")
case("two sub-attributes of multi-valued", {**pick(U, *BASE), "emails": [{"value": "bjensen@example.com", "type": "work"}, {"value": "babs@jensen.org", "type": "home"}]}, "emails.value,emails.type")
case("returned never is never returned, even when asked", pick(U, *BASE), "password")
case("id alone", pick(U, *BASE), "id")
case("meta", pick(U, *BASE, "meta"), "meta")
case("meta sub-attribute", {**pick(U, *BASE), "meta": {"version": "W/\"3694e05e9dff591\""}}, "meta.version")
case("whole extension by URN", pick(U, *BASE, ENT), ENT)
case("extension attribute", {**pick(U, *BASE), ENT: {"department": "Tour Operations"}}, ENT + ":department")
case("extension sub-attribute", {**pick(U, *BASE), ENT: {"manager": {"value": "26118915"}}}, ENT + ":manager.value")
case("extension path in any case", {**pick(U, *BASE), ENT: {"manager": {"value": "26118915"}}}, ENT.upper() + ":MANAGER.VALUE")
case("core and extension attributes", {**pick(U, *BASE, "userName"), ENT: {"employeeNumber": "701984"}}, "userName," + ENT + ":employeeNumber")
case("unknown attribute selects nothing", pick(U, *BASE), "nonexistent")
case("several attributes", pick(U, *BASE, "userName", "displayName", "active"), "userName,displayName,active")
case("excluded multi-valued", without(DEFAULT, "emails"), excluded="emails")
case("excluded in any case", without(DEFAULT, "emails"), excluded="EMAILS")
case("returned always cannot be excluded", DEFAULT, excluded="id")
case("excluded sub-attribute", {**DEFAULT, "name": {"familyName": "Jensen"}}, excluded="name.givenName")
case("excluded extension", without(DEFAULT, ENT), excluded=ENT)
case("excluded extension attribute", {**DEFAULT, ENT: {"employeeNumber": "701984", "department": "Tour Operations"}}, excluded=ENT + ":manager")
case("excluded extension sub-attribute", {**DEFAULT, ENT: {**U[ENT], "manager": {"value": "26118915"}}}, excluded=ENT + ":manager.displayName")
case("excluded sub-attribute of multi-valued", {**DEFAULT, "emails": [{"value": "bjensen@example.com", "primary": True}, {"value": "babs@jensen.org"}]}, excluded="emails.type")
case("two excluded", without(DEFAULT, "meta", "groups"), excluded="meta,groups")
case("excluding a never attribute", DEFAULT, excluded="password")
case("schemas cannot be excluded", DEFAULT, excluded="schemas")
case("excluding an unknown attribute", DEFAULT, excluded="nonexistent")
case("attributes and excluded sub-attribute", {**pick(U, *BASE), "emails": [{"value": "bjensen@example.com", "primary": True}, {"value": "babs@jensen.org"}]}, "emails", "emails.type")
case("attribute both requested and excluded", pick(U, *BASE), "name", "name")
case("empty attributes means default", DEFAULT, "")
case("spaces around names", pick(U, *BASE, "userName", "displayName"), " userName , displayName ")
case("read-only multi-valued sub-attribute", {**pick(U, *BASE), "groups": [{"display": "Tour Guides"}]}, "groups.display")
case("phone values", {**pick(U, *BASE), "phoneNumbers": [{"value": "555-555-8377"}]}, "phoneNumbers.value")
case("every sub-attribute excluded drops the attribute", without(DEFAULT, "emails"), excluded="emails.value,emails.type,emails.primary")
case("core schema URN prefix", pick(U, *BASE, "userName"), USER + ":userName")
case("every extension attribute excluded drops the extension", without(DEFAULT, ENT), excluded=ENT + ":department," + ENT + ":employeeNumber," + ENT + ":manager")
case("externalId", pick(U, *BASE, "externalId"), "externalId")
case("group displayName", pick(G, *BASE, "displayName"), "displayName", fixture="G", rtype="Group")
case("group without members (Entra GET)", without(G, "members"), excluded="members", fixture="G", rtype="Group")
case("group member values", {**pick(G, *BASE), "members": [{"value": "2819c223"}, {"value": "902c246b"}]}, "members.value", fixture="G", rtype="Group")
case("group default", G, fixture="G", rtype="Group")
err("unknown schema URN", "urn:example:unknown:attr")
err("malformed path", ".givenName")

print(json.dumps({"fixtures": {"U": U, "G": G}, "cases": cases}, indent=1, sort_keys=True))
