// The SP configuration the benches' responses were made for (shared through `include!`):
// the vectors' IdP certificate `cert`, their issuer and our endpoints, IdP-initiated allowed.

#[allow(dead_code)]
fn okta_test_config(cert: &str) -> sso_scim::SsoConfigBuilder {
    sso_scim::SsoConfig::builder()
        .idp_certificate(cert)
        .idp_sso_url("https://dev-123.okta.com/app/x/exkTEST/sso/saml")
        .idp_issuer("http://www.okta.com/exkTEST")
        .sp_entity_id("https://sp.example.com/saml/metadata")
        .acs_url("https://sp.example.com/saml/acs")
        .allow_idp_initiated(true)
}
