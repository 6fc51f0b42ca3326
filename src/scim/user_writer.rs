//! The User resource and a ListResponse of users written straight to bytes: exactly what
//! serializing [`user_json`](super::model::user_json) gives (serde_json's maps are sorted by key,
//! so the keys are written in that order here), without building a `Value` tree. The lookup Okta
//! makes before every provisioning call answers this way.

use crate::resource::ScimUser;
use crate::resource::{ENTERPRISE_SCHEMA, USER_SCHEMA};
use crate::scim::urn::LIST_SCHEMA;

/// Writes `s` as a JSON string, escaped as serde_json escapes it.
fn string(out: &mut Vec<u8>, s: &str) {
    // serde_json escapes '"', '\\' and the control characters below U+0020, nothing else: a
    // string without them is written as it is.
    // (Without short-circuit, so that the compiler checks many bytes at once.)
    let needs_escape = s.bytes().fold(false, |acc, b| {
        acc | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if !needs_escape {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        return;
    }
    // Writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Writes `"key":` (keys here never need escaping).
fn key(out: &mut Vec<u8>, first: &mut bool, k: &str) {
    if !std::mem::take(first) {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(k.as_bytes());
    out.extend_from_slice(b"\":");
}

fn opt(out: &mut Vec<u8>, first: &mut bool, k: &str, v: &Option<String>) {
    if let Some(v) = v {
        key(out, first, k);
        string(out, v);
    }
}

/// Appends the User resource (see [`user_json`](super::model::user_json)).
pub(crate) fn write_user(out: &mut Vec<u8>, u: &ScimUser, base: &str, groups: &[(String, String)]) {
    let f = &mut true;
    out.push(b'{');
    key(out, f, "active");
    out.extend_from_slice(if u.active { b"true" } else { b"false" });
    opt(out, f, "displayName", &u.display_name);
    if !u.emails.is_empty() {
        key(out, f, "emails");
        out.push(b'[');
        for (i, e) in u.emails.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let g = &mut true;
            out.push(b'{');
            key(out, g, "primary");
            out.extend_from_slice(if e.primary { b"true" } else { b"false" });
            opt(out, g, "type", &e.kind);
            key(out, g, "value");
            string(out, &e.value);
            out.push(b'}');
        }
        out.push(b']');
    }
    opt(out, f, "externalId", &u.external_id);
    if !groups.is_empty() {
        key(out, f, "groups");
        out.push(b'[');
        for (i, (id, name)) in groups.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let g = &mut true;
            out.push(b'{');
            if !base.is_empty() {
                key(out, g, "$ref");
                string(out, &format!("{base}/Groups/{id}"));
            }
            key(out, g, "display");
            string(out, name);
            key(out, g, "type");
            string(out, "direct");
            key(out, g, "value");
            string(out, id);
            out.push(b'}');
        }
        out.push(b']');
    }
    key(out, f, "id");
    string(out, &u.id);
    opt(out, f, "locale", &u.locale);
    key(out, f, "meta");
    {
        let g = &mut true;
        out.push(b'{');
        // Timestamps are digits, '-', ':', '.', 'T' and 'Z': nothing to escape.
        for (k, t) in [("created", u.created), ("lastModified", u.last_modified)] {
            key(out, g, k);
            out.push(b'"');
            out.extend_from_slice(t.rfc3339().as_bytes());
            out.push(b'"');
        }
        key(out, g, "location");
        if base.is_empty() {
            string(out, "");
        } else {
            // One string, escaped piece by piece (escaping is per character).
            string(out, base);
            out.pop();
            out.extend_from_slice(b"/Users/");
            let at = out.len();
            string(out, &u.id);
            out.remove(at);
        }
        key(out, g, "resourceType");
        string(out, "User");
        // `W/"7"`, as `etag` writes it, escaped.
        key(out, g, "version");
        out.extend_from_slice(b"\"W/\\\"");
        number(out, u.version);
        out.extend_from_slice(b"\\\"\"");
        out.push(b'}');
    }
    if u.given_name.is_some() || u.family_name.is_some() || u.formatted_name.is_some() {
        key(out, f, "name");
        let g = &mut true;
        out.push(b'{');
        opt(out, g, "familyName", &u.family_name);
        opt(out, g, "formatted", &u.formatted_name);
        opt(out, g, "givenName", &u.given_name);
        out.push(b'}');
    }
    key(out, f, "schemas");
    out.push(b'[');
    string(out, USER_SCHEMA);
    if !u.enterprise.is_empty() {
        out.push(b',');
        string(out, ENTERPRISE_SCHEMA);
    }
    out.push(b']');
    if !u.enterprise.is_empty() {
        let e = &u.enterprise;
        key(out, f, ENTERPRISE_SCHEMA);
        let g = &mut true;
        out.push(b'{');
        opt(out, g, "costCenter", &e.cost_center);
        opt(out, g, "department", &e.department);
        opt(out, g, "division", &e.division);
        opt(out, g, "employeeNumber", &e.employee_number);
        if let Some(m) = &e.manager {
            key(out, g, "manager");
            let h = &mut true;
            out.push(b'{');
            opt(out, h, "displayName", &m.display_name);
            opt(out, h, "value", &m.value);
            out.push(b'}');
        }
        opt(out, g, "organization", &e.organization);
        out.push(b'}');
    }
    key(out, f, "userName");
    string(out, &u.user_name);
    out.push(b'}');
}

/// A ListResponse written in one buffer: [`ListWriter::item`] before each resource written into
/// [`ListWriter::buffer`], then [`ListWriter::finish`].
pub(crate) struct ListWriter {
    out: Vec<u8>,
    items: usize,
}

impl ListWriter {
    /// An empty list with room for `capacity` bytes of resources.
    pub fn new(capacity: usize) -> ListWriter {
        let mut out = Vec::with_capacity(capacity + 160);
        out.extend_from_slice(b"{\"Resources\":[");
        ListWriter { out, items: 0 }
    }

    /// Starts the next resource: write it into the buffer returned.
    pub fn item(&mut self) -> &mut Vec<u8> {
        if self.items > 0 {
            self.out.push(b',');
        }
        self.items += 1;
        &mut self.out
    }

    /// The whole ListResponse: `total` matches, from `start` (1-based).
    pub fn finish(mut self, total: usize, start: usize) -> Vec<u8> {
        let out = &mut self.out;
        out.extend_from_slice(b"],\"itemsPerPage\":");
        number(out, self.items as u64);
        out.extend_from_slice(b",\"schemas\":[");
        string(out, LIST_SCHEMA);
        out.extend_from_slice(b"],\"startIndex\":");
        number(out, start as u64);
        out.extend_from_slice(b",\"totalResults\":");
        number(out, total as u64);
        out.push(b'}');
        self.out
    }
}

/// `n` in decimal, without an intermediate string.
fn number(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::{AccountId, OrgId};
    use crate::resource::{Email, Enterprise, Manager};
    use crate::store::conformance::sample_user;
    use crate::Timestamp;
    use serde_json::json;

    fn same(u: &ScimUser, base: &str, groups: &[(String, String)]) {
        let expected =
            serde_json::to_vec(&super::super::model::user_json(u, base, groups)).unwrap();
        let mut got = Vec::new();
        write_user(&mut got, u, base, groups);
        assert_eq!(
            String::from_utf8(got).unwrap(),
            String::from_utf8(expected).unwrap()
        );
    }

    #[test]
    fn writes_what_serde_json_writes() {
        let org = OrgId::new("o").unwrap();
        let account = AccountId::new("a").unwrap();
        let mut u = sample_user(
            &org,
            "u\"1\\",
            &account,
            "Jane@Example.com",
            "jane@example.com",
        );
        same(&u, "", &[]);
        same(&u, "https://sp.example.com/scim/v2", &[]);
        u.external_id = Some("00u\u{1}x".into());
        u.given_name = Some("Jane \"J\"".into());
        u.family_name = None;
        u.formatted_name = Some("é\n".into());
        u.display_name = Some("</script>".into());
        u.locale = Some("en-US".into());
        u.active = false;
        u.emails = vec![
            Email {
                value: "a@b.co".into(),
                kind: Some("work".into()),
                primary: true,
            },
            Email {
                value: "c@d.co".into(),
                kind: None,
                primary: false,
            },
        ];
        u.enterprise = Enterprise {
            department: Some("R&D".into()),
            manager: Some(Manager {
                value: Some("m1".into()),
                display_name: None,
            }),
            ..Enterprise::default()
        };
        u.created = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        u.version = 7;
        let groups = [
            ("g1".to_owned(), "Engineering".to_owned()),
            ("g\"2".to_owned(), "Ops \\ On-call".to_owned()),
        ];
        same(&u, "https://sp.example.com/scim/v2", &groups);
        same(&u, "", &groups);
        u.emails.clear();
        u.given_name = None;
        u.formatted_name = None;
        same(&u, "https://x.example/s\"q", &[]);
        // Control characters, DEL and non-ASCII, escaped (or not) as serde_json does.
        u.display_name = Some("Zo\u{eb} \u{1}\u{1f}\t\n\r\u{8}\u{c}\u{7f}\u{2028}".into());
        u.locale = Some("plain".into());
        same(
            &u,
            "https://x.example/",
            &[("\u{0}".to_owned(), "\\".to_owned())],
        );

        let mut list = ListWriter::new(0);
        write_user(list.item(), &u, "", &[]);
        let list = list.finish(5, 2);
        let expected = json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": 5,
            "startIndex": 2,
            "itemsPerPage": 1,
            "Resources": [super::super::model::user_json(&u, "", &[])],
        });
        assert_eq!(list, serde_json::to_vec(&expected).unwrap());

        let mut two = ListWriter::new(0);
        write_user(two.item(), &u, "", &[]);
        write_user(two.item(), &u, "", &[]);
        let expected = json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": 12_345_678_901usize,
            "startIndex": 10,
            "itemsPerPage": 2,
            "Resources": [
                super::super::model::user_json(&u, "", &[]),
                super::super::model::user_json(&u, "", &[]),
            ],
        });
        assert_eq!(
            two.finish(12_345_678_901, 10),
            serde_json::to_vec(&expected).unwrap()
        );
        let empty = json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": 0,
            "startIndex": 1,
            "itemsPerPage": 0,
            "Resources": [],
        });
        assert_eq!(
            ListWriter::new(0).finish(0, 1),
            serde_json::to_vec(&empty).unwrap()
        );
    }
}
