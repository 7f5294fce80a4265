//! The seeded world, read as a warehouse connector reads it: every list
//! endpoint of the account in turn, parents before children, every page.
//! Each finds records, and every answer is valid against Pinterest's
//! OpenAPI description. Also: filters, gets beside lists, strict enums, and
//! timestamps in both forms read by the SDK.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

use std::collections::BTreeMap;

use pinterest_emulator::{Emulator, EmulatorHandle, Timestamps};
use pinterest_sdk::registry::{self, ParamLocation};
use pinterest_test_support::schema::{SpecValidator, response_schema};
use serde_json::{Value, json};

/// Every scope there is: the emulator's answers, not its scope checks, are
/// under test here.
fn all_scopes() -> Vec<&'static str> {
    pinterest_sdk::oauth::Scope::ALL.iter().map(|s| s.as_str()).collect()
}

fn http() -> reqwest::Client {
    pinterest_sdk::internal::install_crypto_provider();
    reqwest::Client::new()
}

async fn get(e: &EmulatorHandle, token: &str, path: &str, query: &[(String, String)]) -> (u16, Value) {
    let r = http()
        .get(format!("{}/v5{path}", e.base_url()))
        .query(query)
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Where a connector finds the ids a path needs: the list that yields
/// them, and the field of its items.
fn source(param: &str) -> Option<(&'static str, &'static str)> {
    Some(match param {
        "ad_account_id" | "asset_id" => ("ad_accounts/list", "id"),
        "board_id" => ("boards/list", "id"),
        "section_id" => ("board_sections/list", "id"),
        "feed_id" => ("feeds/list", "id"),
        "processing_result_id" => ("feed_processing_results/list", "id"),
        "product_group_id" => ("catalogs_product_groups/list", "id"),
        "member_id" => ("get/business_members", "user.id"),
        "partner_id" => ("get/business_partners", "user.id"),
        _ => return None,
    })
}

/// Required query parameters a connector fills in, by operation.
fn required_query(op: &str, found: &Found) -> Vec<(String, String)> {
    let q = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    match op {
        "ad_accounts_audiences_shared_accounts/list" | "business_account_audiences_shared_accounts/list" => {
            let audience = found.ids("audiences/list", "id").into_iter().next().map(|(id, _)| id).unwrap_or_default();
            vec![q("audience_id", &audience), q("account_type", "AD_ACCOUNT")]
        }
        "billing_profiles/get" => vec![q("is_active", "true")],
        "reports/stats" => {
            vec![q("parameters[catalog_type]", "RETAIL"), q("parameters[report][report_type]", "FEED_INGESTION_ISSUES")]
        }
        "search_user_pins/list" => vec![q("query", "cake")],
        "search_partner_pins" => vec![q("term", "cake"), q("country_code", "US")],
        _ => Vec::new(),
    }
}

/// Path parameters, by name.
type Scope = BTreeMap<String, String>;

/// Items read so far, by list, with the path parameters they were read under.
#[derive(Default)]
struct Found(BTreeMap<String, Vec<(Scope, Value)>>);

impl Found {
    fn ids(&self, list: &str, field: &str) -> Vec<(String, BTreeMap<String, String>)> {
        let Some(items) = self.0.get(list) else { return Vec::new() };
        items
            .iter()
            .filter_map(|(scope, v)| {
                let id = field.split('.').try_fold(v, |v, k| v.get(k))?;
                Some((id.as_str().map(str::to_owned).unwrap_or_else(|| id.to_string()), scope.clone()))
            })
            .collect()
    }
}

/// Every path-parameter combination the lists read so far give `params`.
fn scopes(params: &[&str], found: &Found, fixed: &BTreeMap<&str, String>) -> Option<Vec<BTreeMap<String, String>>> {
    let mut out = vec![BTreeMap::new()];
    for p in params {
        let ids: Vec<(String, BTreeMap<String, String>)> = match fixed.get(p) {
            Some(v) => vec![(v.clone(), BTreeMap::new())],
            None => {
                let (list, field) = source(p)?;
                found.0.get(list)?;
                found.ids(list, field)
            }
        };
        let mut next = Vec::new();
        for scope in &out {
            for (id, parent) in &ids {
                if parent.iter().all(|(k, v)| scope.get(k).is_none_or(|s| s == v)) {
                    let mut s: BTreeMap<String, String> = scope.clone();
                    s.extend(parent.clone());
                    s.insert((*p).to_owned(), id.clone());
                    next.push(s);
                }
            }
        }
        out = next;
    }
    Some(out)
}

/// The properties `schema` defines for an object, through `$ref` and
/// `allOf`; `None` where a `oneOf`/`anyOf` leaves it open.
fn defined_properties(spec: &Value, schema: &Value) -> Option<std::collections::BTreeSet<String>> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/components/schemas/")?;
        return defined_properties(spec, spec.pointer(&format!("/components/schemas/{name}"))?);
    }
    if schema.get("oneOf").is_some() || schema.get("anyOf").is_some() {
        return None;
    }
    let mut out: std::collections::BTreeSet<String> =
        schema.get("properties").and_then(Value::as_object).map(|p| p.keys().cloned().collect()).unwrap_or_default();
    for part in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        out.extend(defined_properties(spec, part)?);
    }
    Some(out)
}

/// The schema of a list answer's items.
fn item_schema(schema: &Value) -> Option<&Value> {
    if let Some(items) = schema.pointer("/properties/items/items") {
        return Some(items);
    }
    schema.get("allOf")?.as_array()?.iter().find_map(item_schema)
}

async fn start(seed: u64) -> (EmulatorHandle, String) {
    let e = Emulator::builder().seed(seed).start().await.unwrap();
    let token = e.issue_token(&all_scopes());
    (e, token)
}

#[tokio::test]
async fn a_warehouse_sync_reads_records_from_every_list_endpoint_and_each_page_is_valid() {
    let Some(spec) = pinterest_test_support::spec() else { return };
    let validator = SpecValidator::new(&spec);
    let (e, token) = start(5).await;
    let mut fixed: BTreeMap<&str, String> = BTreeMap::new();
    let (_, me) = get(&e, &token, "/user_account", &[]).await;
    fixed.insert("username", me["username"].as_str().unwrap().to_owned());
    let (status, businesses) = get(&e, &token, "/user_account/businesses", &[]).await;
    assert_eq!(status, 200);
    fixed.insert("business_id", businesses[0]["id"].as_str().unwrap().to_owned());

    let lists: Vec<_> =
        registry::operations().iter().filter(|op| op.method == "GET" && op.paginated).collect::<Vec<_>>();
    let mut found = Found::default();
    let mut done: BTreeMap<&str, (usize, usize)> = BTreeMap::new(); // op -> (records, pages)
    loop {
        let mut progress = false;
        for op in &lists {
            if done.contains_key(op.id) {
                continue;
            }
            let params: Vec<&str> =
                op.params.iter().filter(|p| p.location == ParamLocation::Path).map(|p| p.name).collect();
            let Some(combos) = scopes(&params, &found, &fixed) else { continue };
            let schema = response_schema(&spec, op.method, op.path, 200).expect("a list answers 200 with JSON");
            let (mut records, mut pages) = (0, 0);
            for scope in combos {
                let mut path = op.path.to_owned();
                for (k, v) in &scope {
                    path = path.replace(&format!("{{{k}}}"), v);
                }
                let mut query = required_query(op.id, &found);
                query.push(("page_size".into(), "2".into()));
                let mut bookmark: Option<String> = None;
                loop {
                    let mut q = query.clone();
                    if let Some(b) = &bookmark {
                        q.push(("bookmark".into(), b.clone()));
                    }
                    let (status, page) = get(&e, &token, &path, &q).await;
                    assert_eq!(status, 200, "{} {path}: {page}", op.id);
                    let errors = validator.errors(schema, &page);
                    assert!(errors.is_empty(), "{} {path} breaks its schema: {errors:#?}\n{page}", op.id);
                    pages += 1;
                    let defined = item_schema(schema).and_then(|i| defined_properties(&spec, i));
                    for item in page["items"].as_array().unwrap() {
                        if let (Some(defined), Some(have)) = (&defined, item.as_object()) {
                            let missing: Vec<&String> = defined.iter().filter(|k| !have.contains_key(*k)).collect();
                            assert!(missing.is_empty(), "{} items lack {missing:?}: {item}", op.id);
                        }
                        records += 1;
                        found.0.entry(op.id.to_owned()).or_default().push((scope.clone(), item.clone()));
                    }
                    bookmark = page["bookmark"].as_str().map(str::to_owned);
                    if bookmark.is_none() {
                        break;
                    }
                    assert!(pages < 500, "{} pages without end", op.id);
                }
            }
            done.insert(op.id, (records, pages));
            progress = true;
        }
        if !progress {
            break;
        }
    }
    let unread: Vec<&str> = lists.iter().map(|op| op.id).filter(|id| !done.contains_key(id)).collect();
    assert!(unread.is_empty(), "lists no id led to: {unread:?}");
    let empty: Vec<&str> = done.iter().filter(|(_, (n, _))| *n == 0).map(|(id, _)| *id).collect();
    assert!(empty.is_empty(), "lists without records: {empty:?}");
    assert!(done.values().any(|(_, pages)| *pages > 1), "page_size=2 pages somewhere");
    assert!(done.len() >= 40, "{} lists read", done.len());

    // The get beside each list (`…/campaigns/{campaign_id}`) answers each
    // listed record's first item with the same record, valid and complete.
    let mut gets = 0;
    for list in &lists {
        let Some(get_op) = registry::operations().iter().find(|g| {
            g.method == "GET"
                && g.path
                    .strip_prefix(list.path)
                    .and_then(|r| r.strip_prefix("/{"))
                    .is_some_and(|r| r.ends_with('}') && !r.contains('/'))
        }) else {
            continue;
        };
        let Some((scope, item)) = found.0.get(list.id).and_then(|v| v.first()) else { continue };
        let param = get_op.path.rsplit("/{").next().unwrap().trim_end_matches('}');
        // Items name their id `id`, or as the path does (`media_id`).
        let id = match item.get(param).unwrap_or(&item["id"]) {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            other => panic!("{} items have no id to get them by: {other}", list.id),
        };
        let mut path = get_op.path.replace(&format!("{{{param}}}"), &id);
        for (k, v) in scope {
            path = path.replace(&format!("{{{k}}}"), v);
        }
        let (status, got) = get(&e, &token, &path, &[]).await;
        assert_eq!(status, 200, "{} {path}: {got}", get_op.id);
        let schema = response_schema(&spec, "GET", get_op.path, 200).unwrap();
        let errors = validator.errors(schema, &got);
        assert!(errors.is_empty(), "{} {path} breaks its schema: {errors:#?}", get_op.id);
        assert_eq!(&got, item, "{} reads what {} lists", get_op.id, list.id);
        gets += 1;
    }
    assert!(gets >= 15, "{gets} gets beside lists");
    e.shutdown().await;
}

#[tokio::test]
async fn the_ads_hierarchy_is_consistent_and_filters_and_gets_work() {
    let (e, token) = start(9).await;
    let (_, accounts) = get(&e, &token, "/ad_accounts", &[]).await;
    let accounts = accounts["items"].as_array().unwrap().clone();
    assert_eq!(accounts.len(), 2, "one owned, one through business access");
    let (_, owned_only) = get(&e, &token, "/ad_accounts", &[("include_shared_accounts".into(), "false".into())]).await;
    assert_eq!(owned_only["items"].as_array().unwrap().len(), 1);
    let account = accounts[0]["id"].as_str().unwrap();
    assert_eq!(accounts[0]["owner"]["username"], "emulator_user");

    let list = |what: &str| format!("/ad_accounts/{account}/{what}");
    let (_, campaigns) = get(&e, &token, &list("campaigns"), &[]).await;
    let campaigns = campaigns["items"].as_array().unwrap().clone();
    let (_, groups) = get(&e, &token, &list("ad_groups"), &[]).await;
    let groups = groups["items"].as_array().unwrap().clone();
    let (_, ads) = get(&e, &token, &list("ads"), &[]).await;
    let ads = ads["items"].as_array().unwrap().clone();
    assert!(!campaigns.is_empty() && !groups.is_empty() && !ads.is_empty());
    let campaign_ids: Vec<&Value> = campaigns.iter().map(|c| &c["id"]).collect();
    for c in &campaigns {
        assert_eq!(c["ad_account_id"], account);
    }
    for g in &groups {
        assert!(campaign_ids.contains(&&g["campaign_id"]), "{g}");
        assert_eq!(g["ad_account_id"], account);
    }
    for a in &ads {
        let group = groups.iter().find(|g| g["id"] == a["ad_group_id"]).expect("an ad's ad group is listed");
        assert_eq!(a["campaign_id"], group["campaign_id"], "an ad's campaign is its ad group's");
    }

    // Filters: by campaign, by own ids, by status; several values as
    // repeated keys, as the spec declares them and the SDK sends them.
    let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    };
    let one = campaigns[0]["id"].as_str().unwrap();
    let (_, filtered) = get(&e, &token, &list("ad_groups"), &q(&[("campaign_ids", one)])).await;
    let filtered = filtered["items"].as_array().unwrap();
    assert!(!filtered.is_empty());
    assert!(filtered.iter().all(|g| g["campaign_id"] == one));
    let (a0, a1) = (ads[0]["id"].as_str().unwrap(), ads[1]["id"].as_str().unwrap());
    let (_, by_id) = get(&e, &token, &list("ads"), &q(&[("ad_ids", a0), ("ad_ids", a1)])).await;
    let ids: Vec<&Value> = by_id["items"].as_array().unwrap().iter().map(|a| &a["id"]).collect();
    assert_eq!(ids, [&ads[0]["id"], &ads[1]["id"]]);
    let statuses: Vec<&str> = campaigns.iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["ACTIVE", "ACTIVE", "PAUSED"], "the third record has the second status");
    let count = |v: &Value| v["items"].as_array().unwrap().len();
    let (_, active) = get(&e, &token, &list("campaigns"), &q(&[("entity_statuses", "ACTIVE")])).await;
    assert_eq!(count(&active), 2);
    let (_, both) =
        get(&e, &token, &list("campaigns"), &q(&[("entity_statuses", "ACTIVE"), ("entity_statuses", "PAUSED")])).await;
    assert_eq!(count(&both), 3);
    let (_, none) = get(&e, &token, &list("campaigns"), &q(&[("entity_statuses", "ARCHIVED")])).await;
    assert_eq!(none["items"], json!([]));

    // A forged bookmark far past the end is an empty last page, not a crash.
    use base64::Engine as _;
    let forged =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o:{}:campaigns/list-{account}", usize::MAX));
    let (status, page) = get(&e, &token, &list("campaigns"), &q(&[("bookmark", &forged)])).await;
    assert_eq!((status, &page["items"], &page["bookmark"]), (200, &json!([]), &Value::Null), "{page}");

    // The SDK's own multi-value setters, over the wire.
    let client = pinterest_sdk::Client::builder()
        .config(pinterest_sdk::Config::builder().api_host(&e.base_url()).build().unwrap())
        .access_token(pinterest_sdk::secret::AccessToken::new(token.clone()))
        .build()
        .unwrap();
    let typed = client.ads().list(account).ad_ids([a0, a1]).send().await.unwrap();
    assert_eq!(typed.items.len(), 2);

    // Keywords belong to ad groups; their campaign and ad group filters work.
    let (_, keywords) = get(&e, &token, &list("keywords"), &[]).await;
    let keyword = &keywords["items"][0];
    assert_eq!(keyword["parent_type"], "ad_group");
    let group = groups.iter().find(|g| g["id"] == keyword["parent_id"]).expect("a keyword's ad group is listed");
    let gid = group["id"].as_str().unwrap();
    let (_, by_group) = get(&e, &token, &list("keywords"), &q(&[("ad_group_id", gid)])).await;
    assert!(count(&by_group) >= 1);
    assert!(by_group["items"].as_array().unwrap().iter().all(|k| k["parent_id"] == gid));
    let cid = group["campaign_id"].as_str().unwrap();
    let (_, by_campaign) = get(&e, &token, &list("keywords"), &q(&[("campaign_id", cid)])).await;
    assert!(by_campaign["items"].as_array().unwrap().iter().any(|k| k["id"] == keyword["id"]));
    let other_campaign = campaigns.iter().map(|c| c["id"].as_str().unwrap()).find(|c| *c != cid).unwrap();
    let (_, elsewhere) = get(&e, &token, &list("keywords"), &q(&[("campaign_id", other_campaign)])).await;
    assert!(!elsewhere["items"].as_array().unwrap().iter().any(|k| k["id"] == keyword["id"]));

    // Invoices by due date: each record has its own month.
    let (_, invoices) = get(&e, &token, &list("billing_invoices"), &[]).await;
    assert_eq!(count(&invoices), 3);
    let (_, early) = get(
        &e,
        &token,
        &list("billing_invoices"),
        &q(&[("start_due_date", "2025-01-01"), ("end_due_date", "2025-02-15")]),
    )
    .await;
    let due: Vec<&Value> = early["items"].as_array().unwrap().iter().map(|i| &i["invoice_due_date"]).collect();
    assert_eq!(due, [&json!("2025-01-01"), &json!("2025-02-01")]);

    // The get beside each list reads the same record; others are 404.
    let (status, got) = get(&e, &token, &format!("{}/{one}", list("campaigns")), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(got, campaigns[0]);
    let (status, _) = get(&e, &token, &format!("{}/1", list("campaigns")), &[]).await;
    assert_eq!(status, 404);
    // A campaign under another ad account is not found there.
    let other_account = accounts[1]["id"].as_str().unwrap();
    let (status, _) = get(&e, &token, &format!("/ad_accounts/{other_account}/campaigns/{one}"), &[]).await;
    assert_eq!(status, 404);

    // Feeds belong to listed catalogs, and the catalog filter finds them.
    let (_, catalogs) = get(&e, &token, "/catalogs", &[]).await;
    let (_, feeds) = get(&e, &token, "/catalogs/feeds", &[]).await;
    let feed = &feeds["items"][0];
    let (status, got) = get(&e, &token, &format!("/catalogs/feeds/{}", feed["id"].as_str().unwrap()), &[]).await;
    assert_eq!((status, &got), (200, feed));
    let mut found_feeds = 0;
    for c in catalogs["items"].as_array().unwrap() {
        let (_, mine) = get(&e, &token, "/catalogs/feeds", &q(&[("catalog_id", c["id"].as_str().unwrap())])).await;
        found_feeds += count(&mine);
    }
    assert_eq!(found_feeds, count(&feeds), "each feed under exactly one catalog");

    // The same seed gives the same world; another seed, other ids.
    let (e2, token2) = start(9).await;
    let (_, again) = get(&e2, &token2, &list("campaigns"), &[]).await;
    assert_eq!(again["items"].as_array().unwrap(), &campaigns);
    e2.shutdown().await;
    let (e3, token3) = start(10).await;
    let (_, other) = get(&e3, &token3, "/ad_accounts", &[]).await;
    assert_ne!(other["items"][0]["id"], accounts[0]["id"]);
    e3.shutdown().await;
    e.shutdown().await;
}

#[tokio::test]
async fn enum_values_outside_the_spec_are_refused_naming_the_field() {
    let (e, token) = start(1).await;
    let post = |path: &str, body: Value| {
        let (e, token) = (&e, &token);
        let path = path.to_owned();
        async move {
            let r = http()
                .post(format!("{}/v5{path}", e.base_url()))
                .header("authorization", format!("Bearer {token}"))
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = post("/boards", json!({"name": "X", "privacy": "FOO"})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], 1);
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("`privacy`") && message.contains("FOO") && message.contains("SECRET"), "{message}");
    let before = e.state().boards.len();
    assert_eq!(before, 3, "nothing was created");
    // A place inside a list of objects.
    let (_, accounts) = get(&e, &token, "/ad_accounts", &[]).await;
    let account = accounts["items"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) = post(
        &format!("/ad_accounts/{account}/campaigns"),
        json!([{"ad_account_id": account, "name": "C", "objective_type": "NOT_AN_OBJECTIVE"}]),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("[].objective_type"), "{body}");
    // A place below a `oneOf`: every branch's values, and no other.
    let (status, body) = post("/pins", json!({"board_id": "1", "media_source": {"source_type": "hologram"}})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("`media_source.source_type`"), "{body}");
    // An integer enum.
    let (status, body) = post(
        &format!("/ad_accounts/{account}/reports"),
        json!({"start_date": "2025-01-01", "end_date": "2025-01-07", "granularity": "DAY", "columns": ["SPEND_IN_DOLLAR"],
               "level": "CAMPAIGN", "report_format": "JSON", "click_window_days": 5}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("`5` is not a valid value of `click_window_days`"), "{body}");

    // The spec's own values pass.
    let (status, body) = post("/boards", json!({"name": "X", "privacy": "SECRET"})).await;
    assert_eq!(status, 201, "{body}");
    let board = body["id"].as_str().unwrap().to_owned();

    // Text limits and digit ids, which Pinterest's answers could not hold.
    let (status, body) = post(&format!("/boards/{board}/sections"), json!({"name": ""})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("`name` must have at least 1"), "{body}");
    let image = json!({"source_type": "image_url", "url": "https://www.example.com/x.jpg"});
    let long_title = "t".repeat(101);
    let (status, body) = post("/pins", json!({"board_id": board, "title": long_title, "media_source": image})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("`title` must have at most 100"), "{body}");
    let (status, body) =
        post("/pins", json!({"board_id": board, "board_section_id": "AAA", "media_source": image})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("`board_section_id` must be an id of digits"), "{body}");
    let (status, pin) =
        post("/pins", json!({"board_id": board, "title": "t".repeat(100), "media_source": image})).await;
    assert_eq!(status, 201, "{pin}");
    // Saving into a section of another board is refused.
    let (_, boards) = get(&e, &token, "/boards", &[]).await;
    let recipes = boards["items"].as_array().unwrap().iter().find(|b| b["name"] == "Recipes").unwrap()["id"].clone();
    let (_, sections) = get(&e, &token, &format!("/boards/{}/sections", recipes.as_str().unwrap()), &[]).await;
    let section = sections["items"][0]["id"].clone();
    let (status, body) = post(
        &format!("/pins/{}/save", pin["id"].as_str().unwrap()),
        json!({"board_id": board, "board_section_id": section}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    e.shutdown().await;
}

#[tokio::test]
async fn timestamps_carry_an_offset_and_live_mode_drops_it_and_the_sdk_reads_both() {
    let mut read = Vec::new();
    for style in [Timestamps::Rfc3339, Timestamps::Live] {
        let e = Emulator::builder().seed(3).timestamps(style).start().await.unwrap();
        let token = e.issue_token(&all_scopes());
        let (_, raw) = get(&e, &token, "/boards", &[]).await;
        let text = raw["items"][0]["created_at"].as_str().unwrap().to_owned();
        // Text that reads like a time is not a `date-time` property.
        let r = http()
            .post(format!("{}/v5/boards", e.base_url()))
            .header("authorization", format!("Bearer {token}"))
            .json(&json!({"name": "2025-01-01T00:00:00Z"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.json::<Value>().await.unwrap()["name"], "2025-01-01T00:00:00Z");
        assert_eq!(text.ends_with('Z'), style == Timestamps::Rfc3339, "{text}");
        let client = pinterest_sdk::Client::builder()
            .config(pinterest_sdk::Config::builder().api_host(&e.base_url()).build().unwrap())
            .access_token(pinterest_sdk::secret::AccessToken::new(token.clone()))
            .build()
            .unwrap();
        let board_id = raw["items"][0]["id"].as_str().unwrap();
        let board = client.boards().get(board_id).send().await.unwrap();
        let at = board.created_at.expect("created_at");
        assert_eq!(at.had_offset(), style == Timestamps::Rfc3339);
        read.push(at.to_utc());
        e.shutdown().await;
    }
    assert_eq!(read[0], read[1], "the same instant in both forms");
}

#[tokio::test]
async fn a_state_file_without_the_world_gets_one_and_keeps_it_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let e = Emulator::builder().seed(4).state_file(&path).start().await.unwrap();
    e.shutdown().await;
    // As a version before the seeded world wrote it.
    let mut old: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    old.as_object_mut().unwrap().remove("world");
    // And its times without an offset.
    for board in old["boards"].as_object_mut().unwrap().values_mut() {
        let t = board["created_at"].as_str().unwrap().trim_end_matches('Z').to_owned();
        board["created_at"] = json!(t);
    }
    std::fs::write(&path, old.to_string()).unwrap();
    let e = Emulator::builder().state_file(&path).start().await.unwrap();
    let token = e.issue_token(&all_scopes());
    let (_, accounts) = get(&e, &token, "/ad_accounts", &[]).await;
    assert_eq!(accounts["items"].as_array().unwrap().len(), 2, "{accounts}");
    let (_, boards) = get(&e, &token, "/boards", &[]).await;
    assert_eq!(boards["items"].as_array().unwrap().len(), 3, "the old content is kept");
    for b in boards["items"].as_array().unwrap() {
        assert!(b["created_at"].as_str().unwrap().ends_with('Z'), "{b}");
    }
    e.shutdown().await;
    let again = Emulator::builder().state_file(&path).start().await.unwrap();
    let token = again.issue_token(&all_scopes());
    let (_, same) = get(&again, &token, "/ad_accounts", &[]).await;
    assert_eq!(same, accounts, "the world is saved with the rest");
    again.shutdown().await;
}
