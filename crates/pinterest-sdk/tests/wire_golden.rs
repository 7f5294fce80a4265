//! Golden wire tests: the exact request each operation puts on the wire, for
//! every wire style the spec uses (path escaping, single and exploded query
//! values, `explode: false` lists, `deepObject`, JSON and form bodies,
//! explicit nulls in PATCH bodies), plus the headers the client adds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

/// Without `--features full` the tests of this file are not compiled; this
/// one says so (a skip of kind `features`: `.ci/run` allows it in its
/// default-features step, because its next step runs them).
#[cfg(not(feature = "full"))]
#[test]
fn left_out_without_the_full_feature() {
    pinterest_test_support::skip(
        pinterest_test_support::Need::Features,
        "the golden wire tests cover operations of every tag: run them with `cargo test -p pinterest-sdk --all-features` or `cargo xtask test`",
    );
}

#[cfg(feature = "full")]
mod support;

#[cfg(feature = "full")]
mod full {
    use super::*;

    use pinterest_sdk::config::ApiBase;
    use pinterest_sdk::models;
    use pinterest_sdk::ops;
    use pinterest_sdk::{Operation, Paginated};
    use support::{Scripted, client, ok};

    fn base() -> ApiBase {
        ApiBase::parse("https://api.pinterest.com/v5").unwrap()
    }

    /// Method, URI, content type and body of an operation's request.
    fn wire(op: &impl Operation) -> (String, String, Option<String>, String) {
        let req = op.to_request(&base()).unwrap();
        let ct = req.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(req.headers().get("accept").unwrap(), "application/json");
        (req.method().to_string(), req.uri().to_string(), ct, String::from_utf8(req.body().to_vec()).unwrap())
    }

    #[test]
    fn path_parameters_are_escaped_as_one_segment() {
        let (m, uri, ct, body) = wire(&ops::pins::PinsGet::new("12/3 4?x").ad_account_id("99"));
        assert_eq!(m, "GET");
        assert_eq!(uri, "https://api.pinterest.com/v5/pins/12%2F3%204%3Fx?ad_account_id=99");
        assert_eq!((ct, body), (None, String::new()));
        let (_, uri, _, _) = wire(&ops::boards::BoardsListSectionPins::new("b1", "s 2").page_size(10));
        assert_eq!(uri, "https://api.pinterest.com/v5/boards/b1/sections/s%202/pins?page_size=10");
    }

    #[test]
    fn exploded_arrays_repeat_the_key() {
        let op =
            ops::pins::PinsList::new().pin_filter("exclude_repins").creative_types(["REGULAR", "VIDEO"]).page_size(50);
        let (_, uri, _, _) = wire(&op);
        assert_eq!(
            uri,
            "https://api.pinterest.com/v5/pins?pin_filter=exclude_repins&creative_types=REGULAR&creative_types=VIDEO&page_size=50"
        );
    }

    #[test]
    fn explode_false_arrays_are_comma_joined() {
        let op = ops::ad_accounts::AdAccountsGetAnalytics::new("549755885175")
            .start_date(date(2025, 1, 1))
            .end_date(date(2025, 1, 31))
            .columns(["SPEND_IN_DOLLAR", "TOTAL_CLICKTHROUGH"])
            .granularity(models::Granularity::Day)
            .click_window_days(models::ConversionAttributionWindowDays::V7);
        let (m, uri, _, _) = wire(&op);
        assert_eq!(m, "GET");
        assert_eq!(
            uri,
            "https://api.pinterest.com/v5/ad_accounts/549755885175/analytics?start_date=2025-01-01&end_date=2025-01-31\
         &columns=SPEND_IN_DOLLAR,TOTAL_CLICKTHROUGH&granularity=DAY&click_window_days=7"
        );
        // `style: form, explode: false` integer lists, on a DELETE.
        let (m, uri, _, _) = wire(&ops::catalog_product_groups::CatalogProductGroupsDeleteMany::new([1, 22, 333]));
        assert_eq!(m, "DELETE");
        assert_eq!(uri, "https://api.pinterest.com/v5/catalogs/product_groups/multiple?id=1,22,333");
        // In one operation: `pin_ids` has the default style (exploded) and
        // `metric_types` is `explode: false`.
        let op = ops::pins::PinsGetMultiAnalytics::new()
            .pin_ids(["1", "2"])
            .start_date(date(2025, 1, 1))
            .end_date(date(2025, 1, 2))
            .metric_types(["IMPRESSION", "SAVE"]);
        let (_, uri, _, _) = wire(&op);
        assert_eq!(
            uri,
            "https://api.pinterest.com/v5/pins/analytics?pin_ids=1&pin_ids=2&start_date=2025-01-01&end_date=2025-01-02\
         &metric_types=IMPRESSION,SAVE"
        );
    }

    #[test]
    fn deep_object_parameters_use_brackets() {
        let report = models::CatalogsRetailReportStatsParametersReport::feed_ingestion_issues("1234");
        let params = models::CatalogReportsGetStatsParameters::retail(report);
        let op = ops::catalog_reports::CatalogReportsGetStats::new(params).page_size(10);
        let (_, uri, _, _) = wire(&op);
        assert_eq!(
            uri,
            "https://api.pinterest.com/v5/catalogs/reports/stats?page_size=10&parameters%5Bcatalog_type%5D=RETAIL\
         &parameters%5Breport%5D%5Bfeed_id%5D=1234&parameters%5Breport%5D%5Breport_type%5D=FEED_INGESTION_ISSUES"
        );
    }

    #[test]
    fn json_bodies() {
        let board = models::BoardCreate::new("Recipes").privacy(models::BoardPrivacy::Secret);
        let (m, uri, ct, body) = wire(&ops::boards::BoardsCreate::new(board));
        assert_eq!((m.as_str(), uri.as_str()), ("POST", "https://api.pinterest.com/v5/boards"));
        assert_eq!(ct.as_deref(), Some("application/json"));
        assert_eq!(body, r#"{"name":"Recipes","privacy":"SECRET"}"#);
    }

    #[test]
    fn patch_bodies_can_clear_a_field_with_an_explicit_null() {
        let update = models::PinUpdate::new().clear_title().link("https://example.com/x");
        let (m, uri, _, body) = wire(&ops::pins::PinsUpdate::new("42", update));
        assert_eq!((m.as_str(), uri.as_str()), ("PATCH", "https://api.pinterest.com/v5/pins/42"));
        assert_eq!(body, r#"{"link":"https://example.com/x","title":null}"#);
        let (_, _, _, body) = wire(&ops::pins::PinsUpdate::new("42", models::PinUpdate::new()));
        assert_eq!(body, "{}", "untouched fields are left out");
    }

    #[test]
    fn form_bodies() {
        let op = ops::oauth::OauthCreateToken::new(models::OauthAccessTokenRequest::refresh_token("pinr_x y"));
        let (m, uri, ct, body) = wire(&op);
        assert_eq!((m.as_str(), uri.as_str()), ("POST", "https://api.pinterest.com/v5/oauth/token"));
        assert_eq!(ct.as_deref(), Some("application/x-www-form-urlencoded"));
        assert_eq!(body, "refresh_token=pinr_x+y&grant_type=refresh_token");
        assert_eq!(<ops::oauth::OauthCreateToken as Operation>::AUTH, pinterest_sdk::AuthScheme::Basic);
    }

    #[test]
    fn paginated_operations_set_the_bookmark() {
        let mut op = ops::boards::BoardsList::new().page_size(25).privacy("ALL");
        op.set_bookmark(Some("b=1/2".into()));
        let (_, uri, _, _) = wire(&op);
        assert_eq!(uri, "https://api.pinterest.com/v5/boards?privacy=ALL&bookmark=b%3D1%2F2&page_size=25");
    }

    #[tokio::test]
    async fn the_client_adds_authorization_and_user_agent_and_decodes_by_status() {
        let t = Scripted::new(vec![ok(r#"{"id":"7","name":"x"}"#), support::status(204, "")]);
        let c = client(&t);
        let b = c.boards().get("7").send().await.unwrap();
        assert_eq!(b.id, "7");
        let () = c.boards().delete("7").send().await.unwrap();
        let seen = t.seen();
        assert_eq!(seen[0].uri, "https://api.pinterest.com/v5/boards/7");
        assert_eq!(seen[0].header("authorization"), Some("Bearer test-token"));
        assert!(seen[0].headers.get("authorization").unwrap().is_sensitive());
        assert!(seen[0].header("user-agent").unwrap().starts_with("pinterest-rs/"));
        assert_eq!(
            (seen[1].method.as_str(), seen[1].uri.as_str()),
            ("DELETE", "https://api.pinterest.com/v5/boards/7")
        );
    }

    #[tokio::test]
    async fn basic_auth_operations_use_the_app_credentials() {
        let t = Scripted::new(vec![ok("{}")]);
        let c = pinterest_sdk::Client::builder()
            .transport(t.clone())
            .app_credentials(pinterest_sdk::AppCredentials::new(
                "1234",
                pinterest_sdk::secret::ClientSecret::new("s3cret"),
            ))
            .build()
            .unwrap();
        c.oauth().revoke_token(models::TokenRevocationRequest::new("pina_abc")).send().await.unwrap();
        let seen = t.seen();
        // base64("1234:s3cret")
        assert_eq!(seen[0].header("authorization"), Some("Basic MTIzNDpzM2NyZXQ="));
        assert_eq!(&seen[0].body[..], b"token=pina_abc");
    }

    #[tokio::test]
    async fn raw_requests_stay_under_the_api_base() {
        let t = Scripted::new(vec![ok(r#"{"a":1}"#), ok("")]);
        let c = client(&t);
        let v: serde_json::Value =
            c.request(http::Method::GET, "/some/new/path").query("k", "a b").send().await.unwrap();
        assert_eq!(v["a"], 1);
        let (): () = c.request(http::Method::POST, "/x").json(&serde_json::json!({"k": 1})).send().await.unwrap();
        let seen = t.seen();
        assert_eq!(seen[0].uri, "https://api.pinterest.com/v5/some/new/path?k=a%20b");
        assert_eq!(&seen[1].body[..], br#"{"k":1}"#);
        for bad in ["https://evil.example/x", "x", "/a?b=c", "/../oauth"] {
            let r: pinterest_sdk::Result<serde_json::Value> = c.request(http::Method::GET, bad).send().await;
            assert!(matches!(r, Err(pinterest_sdk::Error::InvalidRequest { .. })), "{bad}");
        }
        assert_eq!(t.count(), 2);
    }

    fn date(y: i32, m: u32, d: u32) -> models::Date {
        models::Date::from_ymd_opt(y, m, d).unwrap()
    }
}
