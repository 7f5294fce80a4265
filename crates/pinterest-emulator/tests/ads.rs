//! The ads world, over HTTP as any client sees it: campaigns, ad groups and
//! ads created, listed and updated across the hierarchy with Pinterest's
//! checks; analytics that add up across days, levels and targeting
//! breakdowns; async reports from request to download at every level in
//! both formats; conversion events checked and kept. Every answer of the
//! API is checked against Pinterest's OpenAPI description when it is
//! there.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

use std::time::Duration;

use pinterest_emulator::{Emulator, EmulatorHandle};
use pinterest_test_support::schema::{SpecValidator, response_schema};
use serde_json::{Value, json};

fn all_scopes() -> Vec<&'static str> {
    pinterest_sdk::oauth::Scope::ALL.iter().map(|s| s.as_str()).collect()
}

struct Api {
    e: EmulatorHandle,
    token: String,
    http: reqwest::Client,
    spec: Option<(Value, SpecValidator)>,
}

impl Api {
    async fn start(builder: pinterest_emulator::EmulatorBuilder) -> Api {
        pinterest_sdk::internal::install_crypto_provider();
        let e = builder.seed(5).start().await.unwrap();
        let token = e.issue_token(&all_scopes());
        let spec = pinterest_test_support::spec().map(|s| {
            let v = SpecValidator::new(&s);
            (s, v)
        });
        Api { e, token, http: reqwest::Client::builder().no_gzip().build().unwrap(), spec }
    }

    /// Sends a call and checks a 2xx answer against the spec.
    async fn call(&self, method: &str, path: &str, query: &[(&str, &str)], body: Option<Value>) -> (u16, Value) {
        let m = http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .http
            .request(m, format!("{}/v5{path}", self.e.base_url()))
            .query(query)
            .header("authorization", format!("Bearer {}", self.token));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        if let Some((spec, validator)) = &self.spec
            && (200..300).contains(&status)
        {
            let (op, _) = pinterest_sdk::registry::route(method, path.split('?').next().unwrap()).unwrap();
            let schema = response_schema(spec, op.method, op.path, status).expect("a documented answer");
            let errors = validator.errors(schema, &v);
            assert!(errors.is_empty(), "{method} {path}: {errors:?}\n{v}");
        }
        (status, v)
    }

    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let (status, v) = self.call("GET", path, query, None).await;
        assert_eq!(status, 200, "{path}: {v}");
        v
    }

    async fn accounts(&self) -> (String, String) {
        let v = self.get("/ad_accounts", &[]).await;
        let items = v["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "one owned and one shared ad account: {v}");
        let owned = items.iter().find(|a| a["permissions"] == json!(["OWNER"])).unwrap();
        let shared = items.iter().find(|a| a["permissions"] != json!(["OWNER"])).unwrap();
        assert_eq!(owned["currency"], "USD");
        assert_eq!(shared["currency"], "EUR");
        (owned["id"].as_str().unwrap().to_owned(), shared["id"].as_str().unwrap().to_owned())
    }

    async fn public_pin(&self) -> String {
        let boards = self.get("/boards", &[("privacy", "PUBLIC")]).await;
        let board = boards["items"][0]["id"].as_str().unwrap().to_owned();
        let pins = self.get(&format!("/boards/{board}/pins"), &[]).await;
        pins["items"][0]["id"].as_str().unwrap().to_owned()
    }
}

async fn campaigns_of(api: &Api, acct: &str) -> Vec<String> {
    let v = api.get(&format!("/ad_accounts/{acct}/campaigns"), &[("page_size", "100")]).await;
    v["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

/// The one item of a batch answer: its data, or the message of its exception.
fn one(v: &Value) -> Result<Value, String> {
    let item = &v["items"][0];
    // An ad's answer has one exception, the others a list of them.
    let ex = item["exceptions"]
        .as_array()
        .and_then(|e| e.first())
        .or(item["exceptions"].as_object().map(|_| &item["exceptions"]));
    match ex {
        Some(ex) => Err(ex["message"].as_str().unwrap().to_owned()),
        None => Ok(item["data"].clone()),
    }
}

#[tokio::test]
async fn campaigns_ad_groups_and_ads_are_created_listed_and_updated() {
    let api = Api::start(Emulator::builder()).await;
    let (acct, shared) = api.accounts().await;
    let pin = api.public_pin().await;
    let base = format!("/ad_accounts/{acct}");

    let (s, v) = api
        .call(
            "POST",
            &format!("{base}/campaigns"),
            &[],
            Some(json!([{"ad_account_id": acct, "name": "Spring sale", "objective_type": "CONSIDERATION", "daily_spend_cap": 20_000_000}])),
        )
        .await;
    assert_eq!(s, 200);
    let campaign = one(&v).unwrap();
    let cid = campaign["id"].as_str().unwrap().to_owned();
    assert_eq!(campaign["status"], "ACTIVE");
    assert_eq!(campaign["summary_status"], "RUNNING");
    assert_eq!(campaign["order_line_id"], Value::Null, "no made-up values: {campaign}");

    let (_, v) = api
        .call(
            "POST",
            &format!("{base}/ad_groups"),
            &[],
            Some(json!([{"campaign_id": format!("C{cid}"), "name": "Bakers", "billable_event": "CLICKTHROUGH",
                "budget_in_micro_currency": 10_000_000, "bid_in_micro_currency": 1_500_000}])),
        )
        .await;
    let group = one(&v).unwrap();
    let gid = group["id"].as_str().unwrap().to_owned();
    assert_eq!(group["campaign_id"], json!(cid), "the C prefix is dropped");
    assert_eq!(group["budget_type"], "DAILY");

    let (_, v) = api
        .call(
            "POST",
            &format!("{base}/ads"),
            &[],
            Some(json!([{"ad_group_id": gid, "pin_id": pin, "creative_type": "REGULAR", "name": "Lemon cake ad"}])),
        )
        .await;
    let ad = one(&v).unwrap();
    let ad_id = ad["id"].as_str().unwrap().to_owned();
    assert_eq!(ad["campaign_id"], json!(cid), "an ad takes its campaign from its ad group");
    assert_eq!(ad["review_status"], "PENDING");

    // Lists and gets read what was written, filters included.
    let list = api.get(&format!("{base}/campaigns"), &[("campaign_ids", &cid)]).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let got = api.get(&format!("{base}/ad_groups/{gid}"), &[]).await;
    assert_eq!(got["name"], "Bakers");
    let ads = api.get(&format!("{base}/ads"), &[("ad_group_ids", &gid)]).await;
    assert_eq!(ads["items"][0]["id"], json!(ad_id));
    // Nothing leaks into the other account.
    let other = api.get(&format!("/ad_accounts/{shared}/campaigns"), &[("campaign_ids", &cid)]).await;
    assert_eq!(other["items"], json!([]));

    // Updates.
    let (_, v) = api
        .call(
            "PATCH",
            &format!("{base}/campaigns"),
            &[],
            Some(json!([{"id": cid, "ad_account_id": acct, "status": "PAUSED"}])),
        )
        .await;
    assert_eq!(one(&v).unwrap()["summary_status"], "PAUSED");
    let (_, v) =
        api.call("PATCH", &format!("{base}/ad_groups"), &[], Some(json!([{"id": gid, "name": "Home bakers"}]))).await;
    assert_eq!(one(&v).unwrap()["name"], "Home bakers");
    let (_, v) =
        api.call("PATCH", &format!("{base}/ads"), &[], Some(json!([{"id": ad_id, "status": "ARCHIVED"}]))).await;
    assert_eq!(one(&v).unwrap()["summary_status"], "ARCHIVED");
    let got = api.get(&format!("{base}/ads/{ad_id}"), &[]).await;
    assert_eq!(got["status"], "ARCHIVED");

    // What may not change.
    let refused = [
        (format!("{base}/ads"), json!([{"id": ad_id, "status": "ACTIVE"}]), "archived"),
        (format!("{base}/ad_groups"), json!([{"id": gid, "status": "DELETED_DRAFT"}]), "Only a draft"),
        (
            format!("{base}/campaigns"),
            json!([{"id": cid, "ad_account_id": acct, "objective_type": "AWARENESS"}]),
            "objective_type cannot",
        ),
        (format!("{base}/campaigns"), json!([{"id": cid, "ad_account_id": acct, "status": "DRAFT"}]), "Only a draft"),
        (format!("{base}/ad_groups"), json!([{"id": "999", "name": "x"}]), "not found"),
    ];
    for (path, body, want) in refused {
        let (s, v) = api.call("PATCH", &path, &[], Some(body)).await;
        assert_eq!(s, 200);
        let why = one(&v).unwrap_err();
        assert!(why.contains(want), "{want}: {why}");
    }

    // An ad cannot be moved to another campaign behind its ad group's back:
    // the update request has no such field, so nothing changes.
    let other_campaign = campaigns_of(&api, &acct).await.into_iter().find(|c| *c != cid).unwrap();
    let (_, v) = api
        .call("PATCH", &format!("{base}/ads"), &[], Some(json!([{"id": ad_id, "campaign_id": other_campaign}])))
        .await;
    assert_eq!(one(&v).unwrap()["campaign_id"], json!(cid));
    // A null where the spec allows none is "not given"; where it allows
    // one, it clears.
    let (_, v) = api
        .call(
            "PATCH",
            &format!("{base}/campaigns"),
            &[],
            Some(json!([{"id": cid, "ad_account_id": acct, "status": null, "objective_type": null, "end_time": 1_999_999_999}])),
        )
        .await;
    let c = one(&v).unwrap();
    assert_eq!((c["status"].as_str(), c["objective_type"].as_str()), (Some("PAUSED"), Some("CONSIDERATION")));
    assert_eq!(c["end_time"], 1_999_999_999);
    let (_, v) = api
        .call(
            "PATCH",
            &format!("{base}/campaigns"),
            &[],
            Some(json!([{"id": cid, "ad_account_id": acct, "end_time": null}])),
        )
        .await;
    assert_eq!(one(&v).unwrap()["end_time"], Value::Null);
    // A field of the wrong type is the request's error.
    let (s, _) = api
        .call("PATCH", &format!("{base}/ad_groups"), &[], Some(json!([{"id": gid, "bid_in_micro_currency": "lots"}])))
        .await;
    assert_eq!(s, 400);

    // Switching budget optimization on and off rewrites the ad groups' budgets.
    let (_, v) = api
        .call(
            "PATCH",
            &format!("{base}/campaigns"),
            &[],
            Some(json!([{"id": cid, "ad_account_id": acct, "is_campaign_budget_optimization": true, "daily_spend_cap": 20_000_000}])),
        )
        .await;
    assert!(one(&v).is_ok(), "{v}");
    let g = api.get(&format!("{base}/ad_groups/{gid}"), &[]).await;
    assert_eq!((g["budget_type"].as_str(), &g["budget_in_micro_currency"]), (Some("CBO_ADGROUP"), &Value::Null));
    let (_, v) = api
        .call(
            "PATCH",
            &format!("{base}/campaigns"),
            &[],
            Some(json!([{"id": cid, "ad_account_id": acct, "is_campaign_budget_optimization": false}])),
        )
        .await;
    assert!(one(&v).unwrap_err().contains("default_ad_group_budget_in_micro_currency"));
    let (_, v) = api
        .call(
            "PATCH",
            &format!("{base}/campaigns"),
            &[],
            Some(json!([{"id": cid, "ad_account_id": acct, "is_campaign_budget_optimization": false, "default_ad_group_budget_in_micro_currency": 7_000_000}])),
        )
        .await;
    assert!(one(&v).is_ok(), "{v}");
    let g = api.get(&format!("{base}/ad_groups/{gid}"), &[]).await;
    assert_eq!((g["budget_type"].as_str(), g["budget_in_micro_currency"].as_i64()), (Some("DAILY"), Some(7_000_000)));

    // The shared account is in EUR: cents are fine, a tenth of a cent is not.
    let eur = format!("/ad_accounts/{shared}/campaigns");
    let (_, v) = api
        .call("POST", &eur, &[], Some(json!([{"ad_account_id": shared, "name": "EU", "objective_type": "AWARENESS", "daily_spend_cap": 5_010_000}])))
        .await;
    assert!(one(&v).is_ok(), "{v}");
    let (_, v) = api
        .call("POST", &eur, &[], Some(json!([{"ad_account_id": shared, "name": "EU", "objective_type": "AWARENESS", "daily_spend_cap": 5_001_000}])))
        .await;
    assert!(one(&v).unwrap_err().contains("EUR minor units"));

    // An ad account the user cannot reach.
    let (s, _) = api
        .call(
            "POST",
            "/ad_accounts/123456/campaigns",
            &[],
            Some(json!([{"ad_account_id": "123456", "name": "x", "objective_type": "AWARENESS"}])),
        )
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn bad_ads_get_pinterest_s_checks() {
    let api = Api::start(Emulator::builder()).await;
    let (acct, _) = api.accounts().await;
    let base = format!("/ad_accounts/{acct}");
    let campaign = |extra: Value| {
        let mut c = json!({"ad_account_id": acct, "name": "C", "objective_type": "CONSIDERATION"});
        c.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        c
    };
    let cases = [
        (campaign(json!({"ad_account_id": "1"})), "ad account of the path"),
        (campaign(json!({"name": "  "})), "needs a name"),
        (campaign(json!({"daily_spend_cap": 5_000_000, "lifetime_spend_cap": 50_000_000})), "cannot both"),
        (campaign(json!({"daily_spend_cap": 500_000})), "at least 1 USD"),
        (campaign(json!({"daily_spend_cap": 5_000_001})), "minor units"),
        (campaign(json!({"is_campaign_budget_optimization": true})), "CBO"),
        (campaign(json!({"lifetime_spend_cap": 50_000_000})), "needs an end_time"),
        (campaign(json!({"start_time": 1_900_000_000, "end_time": 1_800_000_000})), "before end_time"),
    ];
    for (body, want) in cases {
        let (s, v) = api.call("POST", &format!("{base}/campaigns"), &[], Some(json!([body]))).await;
        assert_eq!(s, 200);
        let why = one(&v).unwrap_err();
        assert!(why.contains(want), "{want}: {why}");
    }
    // A batch answers item by item.
    let (_, v) = api
        .call(
            "POST",
            &format!("{base}/campaigns"),
            &[],
            Some(json!([campaign(json!({})), campaign(json!({"name": ""}))])),
        )
        .await;
    assert!(v["items"][0]["data"]["id"].is_string());
    assert!(v["items"][1]["data"].is_null() && v["items"][1]["exceptions"][0]["code"] == 1, "{v}");
    let cid = v["items"][0]["data"]["id"].as_str().unwrap().to_owned();

    let (_, v) = api
        .call(
            "POST",
            &format!("{base}/campaigns"),
            &[],
            Some(json!([campaign(json!({"is_campaign_budget_optimization": true, "daily_spend_cap": 50_000_000}))])),
        )
        .await;
    let cbo = one(&v).unwrap()["id"].as_str().unwrap().to_owned();
    let group = |extra: Value| {
        let mut g = json!({"campaign_id": cid, "name": "G", "billable_event": "CLICKTHROUGH", "budget_in_micro_currency": 5_000_000, "bid_in_micro_currency": 1_000_000});
        g.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        g
    };
    let cases = [
        (group(json!({"campaign_id": "424242"})), "Campaign 424242 not found"),
        (group(json!({"budget_in_micro_currency": null})), "required outside CBO"),
        (group(json!({"budget_type": "CBO_ADGROUP"})), "CBO campaigns"),
        (group(json!({"campaign_id": cbo})), "CBO_ADGROUP"),
        (group(json!({"campaign_id": cbo, "budget_type": "CBO_ADGROUP"})), "leave budget_in_micro_currency out"),
        (group(json!({"budget_type": "LIFETIME"})), "needs an end_time"),
        (group(json!({"bid_in_micro_currency": null})), "bid_in_micro_currency is required"),
        (group(json!({"bid_in_micro_currency": -5})), "positive"),
        (group(json!({"lifetime_frequency_cap": 3})), "needs an end_time"),
    ];
    for (body, want) in cases {
        let (_, v) = api.call("POST", &format!("{base}/ad_groups"), &[], Some(json!([body]))).await;
        let why = one(&v).unwrap_err();
        assert!(why.contains(want), "{want}: {why}");
    }
    // The secret board's Pin cannot be promoted; an unknown Pin is not there.
    let (_, v) = api.call("POST", &format!("{base}/ad_groups"), &[], Some(json!([group(json!({}))]))).await;
    let gid = one(&v).unwrap()["id"].as_str().unwrap().to_owned();
    let secret_board =
        api.get("/boards", &[("privacy", "SECRET")]).await["items"][0]["id"].as_str().unwrap().to_owned();
    let secret_pin =
        api.get(&format!("/boards/{secret_board}/pins"), &[]).await["items"][0]["id"].as_str().unwrap().to_owned();
    for (pin, want) in [(secret_pin.as_str(), "secret board"), ("77", "Pin 77 not found")] {
        let (_, v) = api
            .call(
                "POST",
                &format!("{base}/ads"),
                &[],
                Some(json!([{"ad_group_id": gid, "pin_id": pin, "creative_type": "REGULAR"}])),
            )
            .await;
        let why = one(&v).unwrap_err();
        assert!(why.contains(want), "{want}: {why}");
    }
    // A batch holds at most 30 items.
    let many: Vec<Value> = (0..31).map(|_| campaign(json!({}))).collect();
    let (s, _) = api.call("POST", &format!("{base}/campaigns"), &[], Some(json!(many))).await;
    assert_eq!(s, 400);
    // Bad enum values are the request's fault, as everywhere.
    let (s, _) =
        api.call("POST", &format!("{base}/campaigns"), &[], Some(json!([campaign(json!({"status": "LIVE"}))]))).await;
    assert_eq!(s, 400);
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Sums `column` over rows.
fn total(rows: &[Value], column: &str) -> u64 {
    rows.iter().map(|r| r[column].as_u64().unwrap_or_else(|| panic!("{column} in {r}"))).sum()
}

#[tokio::test]
async fn analytics_add_up_across_days_levels_and_breakdowns() {
    let api = Api::start(Emulator::builder()).await;
    let (acct, _) = api.accounts().await;
    let base = format!("/ad_accounts/{acct}");
    let cols = "SPEND_IN_MICRO_DOLLAR,SPEND_IN_DOLLAR,IMPRESSION_1,CLICKTHROUGH_1,CTR";
    let range = [("start_date", "2025-03-01"), ("end_date", "2025-03-10"), ("columns", cols)];
    let q = |g: &'static str| {
        let mut q = range.to_vec();
        q.push(("granularity", g));
        q
    };
    let days = api.get(&format!("{base}/analytics"), &q("DAY")).await;
    let days = days.as_array().unwrap().clone();
    assert_eq!(days.len(), 10);
    let sum = api.get(&format!("{base}/analytics"), &q("TOTAL")).await;
    let sum = &sum[0];
    assert!(sum.get("DATE").is_none(), "a total has no date: {sum}");
    for c in ["SPEND_IN_MICRO_DOLLAR", "IMPRESSION_1", "CLICKTHROUGH_1"] {
        assert_eq!(total(&days, c), sum[c].as_u64().unwrap(), "{c}: days add up to the total");
    }
    assert!(total(&days, "IMPRESSION_1") > 0);
    assert_eq!(num(&sum["SPEND_IN_DOLLAR"]), num(&sum["SPEND_IN_MICRO_DOLLAR"]) / 1e6);
    let ctr = num(&sum["CTR"]);
    assert!((0.0..1.0).contains(&ctr), "{ctr}");
    // The same request, the same numbers.
    assert_eq!(api.get(&format!("{base}/analytics"), &q("TOTAL")).await[0], *sum);

    // Campaigns add up to the account, ad groups to their campaign, ads to their ad group.
    let campaigns = api.get(&format!("{base}/campaigns"), &[]).await;
    let cids: Vec<String> =
        campaigns["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
    let mut cq = q("TOTAL");
    let joined_campaigns = cids.join(",");
    cq.push(("campaign_ids", &joined_campaigns));
    let per_campaign = api.get(&format!("{base}/campaigns/analytics"), &cq).await;
    let per_campaign = per_campaign.as_array().unwrap().clone();
    assert_eq!(per_campaign.len(), cids.len());
    assert_eq!(total(&per_campaign, "IMPRESSION_1"), sum["IMPRESSION_1"].as_u64().unwrap());
    assert_eq!(total(&per_campaign, "SPEND_IN_MICRO_DOLLAR"), sum["SPEND_IN_MICRO_DOLLAR"].as_u64().unwrap());

    let groups = api.get(&format!("{base}/ad_groups"), &[]).await;
    for c in &per_campaign {
        let cid = c["CAMPAIGN_ID"].as_str().unwrap();
        let gids: Vec<String> = groups["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|g| g["campaign_id"] == cid)
            .map(|g| g["id"].as_str().unwrap().to_owned())
            .collect();
        if gids.is_empty() {
            assert_eq!(c["IMPRESSION_1"], 0, "a campaign without ad groups has nothing");
            continue;
        }
        let mut gq = q("TOTAL");
        let joined = gids.join(",");
        gq.push(("ad_group_ids", &joined));
        let per_group = api.get(&format!("{base}/ad_groups/analytics"), &gq).await;
        assert_eq!(
            total(per_group.as_array().unwrap(), "IMPRESSION_1"),
            c["IMPRESSION_1"].as_u64().unwrap(),
            "campaign {cid}"
        );
    }
    let ads = api.get(&format!("{base}/ads"), &[]).await;
    let ad_ids: Vec<String> =
        ads["items"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_owned()).collect();
    let mut aq = q("TOTAL");
    let joined = ad_ids.join(",");
    aq.push(("ad_ids", &joined));
    let per_ad = api.get(&format!("{base}/ads/analytics"), &aq).await;
    assert_eq!(total(per_ad.as_array().unwrap(), "CLICKTHROUGH_1"), sum["CLICKTHROUGH_1"].as_u64().unwrap());

    // A targeting breakdown splits the total exactly.
    let mut tq = q("TOTAL");
    tq.push(("targeting_types", "GENDER,AGE_BUCKET"));
    let t = api.get(&format!("{base}/targeting_analytics"), &tq).await;
    for ty in ["GENDER", "AGE_BUCKET"] {
        let rows: Vec<Value> = t["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["targeting_type"] == ty)
            .map(|r| r["metrics"].clone())
            .collect();
        assert!(rows.len() >= 3, "{ty}");
        assert_eq!(total(&rows, "IMPRESSION_1"), sum["IMPRESSION_1"].as_u64().unwrap(), "{ty}");
    }

    // Hours add up to days, and across levels.
    let hq = [
        ("start_date", "2025-03-01"),
        ("end_date", "2025-03-01"),
        ("columns", "IMPRESSION_1"),
        ("granularity", "HOUR"),
    ];
    let hours = api.get(&format!("{base}/analytics"), &hq).await;
    let hours = hours.as_array().unwrap();
    assert_eq!(hours.len(), 24);
    assert_eq!(total(hours, "IMPRESSION_1"), days[0]["IMPRESSION_1"].as_u64().unwrap());
    let mut chq = hq.to_vec();
    chq.push(("campaign_ids", &joined_campaigns));
    let campaign_hours = api.get(&format!("{base}/campaigns/analytics"), &chq).await;
    for h in 0..24u64 {
        let at: u64 = campaign_hours
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["HOUR"] == h)
            .map(|r| r["IMPRESSION_1"].as_u64().unwrap())
            .sum();
        assert_eq!(at, hours.iter().find(|r| r["HOUR"] == h).unwrap()["IMPRESSION_1"].as_u64().unwrap(), "hour {h}");
    }
    // Too much at once is refused, not built.
    let mut big = vec![("start_date", "2025-01-01"), ("end_date", "2025-03-31"), ("granularity", "HOUR")];
    let all_types = "KEYWORD,APPTYPE,GENDER,LOCATION,PLACEMENT,COUNTRY,TARGETED_INTEREST,PINNER_INTEREST,AUDIENCE_INCLUDE,GEO,AGE_BUCKET,REGION";
    big.push(("targeting_types", all_types));
    big.push(("columns", cols));
    let (s, v) = api.call("GET", &format!("{base}/targeting_analytics"), &big, None).await;
    assert_eq!(s, 400, "refused, not built");
    assert!(v["message"].as_str().unwrap().contains("at most"), "{v}");

    // Weeks and months cover the same days.
    for g in ["WEEK", "MONTH"] {
        let rows = api.get(&format!("{base}/analytics"), &q(g)).await;
        assert_eq!(total(rows.as_array().unwrap(), "IMPRESSION_1"), sum["IMPRESSION_1"].as_u64().unwrap(), "{g}");
    }

    // Bad ranges.
    for (start, end, want) in [
        ("2025-03-10", "2025-03-01", "before"),
        ("2025-01-01", "2025-12-31", "at most 90"),
        ("2025-02-30", "2025-03-01", "not a date"),
    ] {
        let (s, v) = api
            .call(
                "GET",
                &format!("{base}/analytics"),
                &[("start_date", start), ("end_date", end), ("columns", cols), ("granularity", "DAY")],
                None,
            )
            .await;
        assert_eq!(s, 400, "{start}..{end}");
        assert!(v["message"].as_str().unwrap().contains(want), "{v}");
    }
}

#[tokio::test]
async fn organic_analytics_add_up_from_pins_to_the_user() {
    let api = Api::start(Emulator::builder()).await;
    let range = [
        ("start_date", "2025-02-01"),
        ("end_date", "2025-02-07"),
        ("metric_types", "IMPRESSION,SAVE,ENGAGEMENT,ENGAGEMENT_RATE"),
    ];
    let user = api.get("/user_account/analytics", &range).await;
    let all = &user["all"];
    let daily = all["daily_metrics"].as_array().unwrap();
    assert_eq!(daily.len(), 7);
    let days_total: u64 = daily.iter().map(|d| d["metrics"]["IMPRESSION"].as_u64().unwrap()).sum();
    assert_eq!(days_total, all["summary_metrics"]["IMPRESSION"].as_u64().unwrap());
    let pins = api.get("/pins", &[("page_size", "100")]).await;
    let mut pins_total = 0;
    for p in pins["items"].as_array().unwrap() {
        let id = p["id"].as_str().unwrap();
        let a = api.get(&format!("/pins/{id}/analytics"), &range).await;
        pins_total += a["all"]["summary_metrics"]["IMPRESSION"].as_u64().unwrap();
    }
    assert_eq!(pins_total, all["summary_metrics"]["IMPRESSION"].as_u64().unwrap(), "the user is the sum of their Pins");
    let s = &all["summary_metrics"];
    assert_eq!(num(&s["ENGAGEMENT_RATE"]), ((num(&s["ENGAGEMENT"]) / num(&s["IMPRESSION"])) * 1e6).round() / 1e6);
    // Top Pins rank by the same totals.
    let top = api
        .get(
            "/user_account/analytics/top_pins",
            &[("start_date", "2025-02-01"), ("end_date", "2025-02-07"), ("sort_by", "SAVE"), ("num_of_pins", "3")],
        )
        .await;
    let ranked = top["pins"].as_array().unwrap();
    assert_eq!(ranked.len(), 3);
    let saves: Vec<u64> = ranked.iter().map(|p| p["metrics"]["SAVE"].as_u64().unwrap()).collect();
    assert!(saves.windows(2).all(|w| w[0] >= w[1]), "{saves:?}");
    let first = ranked[0]["pin_id"].as_str().unwrap();
    let own = api
        .get(
            &format!("/pins/{first}/analytics"),
            &[("start_date", "2025-02-01"), ("end_date", "2025-02-07"), ("metric_types", "SAVE")],
        )
        .await;
    assert_eq!(own["all"]["summary_metrics"]["SAVE"].as_u64().unwrap(), saves[0]);
}

async fn wait_finished(api: &Api, acct: &str, token: &str) -> Value {
    for _ in 0..200 {
        let v = api.get(&format!("/ad_accounts/{acct}/reports"), &[("token", token)]).await;
        if v["report_status"] == "FINISHED" {
            return v;
        }
        assert_eq!(v["report_status"], "IN_PROGRESS");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the report never finished");
}

const LEVELS: &[&str] = &[
    "ADVERTISER",
    "ADVERTISER_TARGETING",
    "CAMPAIGN",
    "CAMPAIGN_TARGETING",
    "AD_GROUP",
    "AD_GROUP_TARGETING",
    "PIN_PROMOTION",
    "PIN_PROMOTION_TARGETING",
    "KEYWORD",
    "PRODUCT_GROUP",
    "PRODUCT_GROUP_TARGETING",
    "PRODUCT_ITEM",
    "PRODUCT_ITEM_TARGETING",
];

#[tokio::test]
async fn reports_run_from_request_to_download_at_every_level_in_both_formats() {
    // The first status read of each report is IN_PROGRESS, whatever the clock.
    let api = Api::start(Emulator::builder().report_delay(Duration::ZERO).report_in_progress_reads(1)).await;
    let (acct, _) = api.accounts().await;
    let spec_levels: Vec<String> = match &api.spec {
        Some((spec, _)) => spec["components"]["schemas"]["MetricsReportingLevel"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect(),
        None => Vec::new(),
    };
    for l in &spec_levels {
        assert!(LEVELS.contains(&l.as_str()), "the spec has a level this test misses: {l}");
    }
    let advertiser_total = {
        let q = [
            ("start_date", "2025-04-01"),
            ("end_date", "2025-04-03"),
            ("columns", "IMPRESSION_1"),
            ("granularity", "TOTAL"),
        ];
        api.get(&format!("/ad_accounts/{acct}/analytics"), &q).await[0]["IMPRESSION_1"].as_u64().unwrap()
    };
    for level in LEVELS {
        for format in ["JSON", "CSV"] {
            let mut body = json!({"level": level, "start_date": "2025-04-01", "end_date": "2025-04-03", "granularity": "DAY",
                "columns": ["IMPRESSION_1", "SPEND_IN_MICRO_DOLLAR", "CAMPAIGN_NAME"], "report_format": format});
            if level.ends_with("_TARGETING") {
                body["targeting_types"] = json!(["GENDER"]);
            }
            let (s, created) = api.call("POST", &format!("/ad_accounts/{acct}/reports"), &[], Some(body)).await;
            assert_eq!(s, 200, "{created}");
            assert_eq!(created["report_status"], "IN_PROGRESS");
            let token = created["token"].as_str().unwrap();
            let first = api.get(&format!("/ad_accounts/{acct}/reports"), &[("token", token)]).await;
            assert_eq!(first["report_status"], "IN_PROGRESS", "for the configured reads");
            let done = wait_finished(&api, &acct, token).await;
            let url = done["url"].as_str().unwrap();
            assert!(url.starts_with(&api.e.base_url()), "served by the emulator itself: {url}");
            let r = api.http.get(url).send().await.unwrap();
            assert_eq!(r.status(), 200, "{level} {format}");
            let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
            let bytes = r.bytes().await.unwrap();
            assert_eq!(done["size"].as_u64().unwrap(), bytes.len() as u64);
            let impressions: u64 = if format == "JSON" {
                assert_eq!(ct, "application/json");
                let v: Value = serde_json::from_slice(&bytes).unwrap();
                let rows: Vec<&Value> = v.as_object().unwrap().values().flat_map(|r| r.as_array().unwrap()).collect();
                assert!(!rows.is_empty(), "{level}: {v}");
                assert!(rows.iter().all(|r| r["DATE"].is_string()));
                if level.ends_with("_TARGETING") {
                    assert!(rows.iter().all(|r| r["TARGETING_TYPE"] == "GENDER"), "{level}");
                }
                rows.iter().map(|r| r["IMPRESSION_1"].as_u64().unwrap()).sum()
            } else {
                assert!(ct.starts_with("text/csv"), "{ct}");
                let text = String::from_utf8(bytes.to_vec()).unwrap();
                let mut lines = text.lines();
                let header: Vec<&str> = lines.next().unwrap().split(',').collect();
                assert!(header.contains(&"DATE") && header.contains(&"IMPRESSION_1"), "{header:?}");
                let col = header.iter().position(|h| *h == "IMPRESSION_1").unwrap();
                lines.map(|l| l.split(',').nth(col).unwrap().parse::<u64>().unwrap()).sum()
            };
            // The ads hierarchy adds up to the advertiser, breakdowns included.
            if ["ADVERTISER", "CAMPAIGN", "AD_GROUP", "PIN_PROMOTION"]
                .iter()
                .any(|l| level.trim_end_matches("_TARGETING") == *l)
            {
                assert_eq!(impressions, advertiser_total, "{level} {format}");
            }
        }
    }
}

#[tokio::test]
async fn reports_stay_in_progress_for_the_configured_time() {
    let delay = Duration::from_millis(700);
    let api = Api::start(Emulator::builder().report_delay(delay)).await;
    let (acct, _) = api.accounts().await;
    let body = json!({"level": "ADVERTISER", "start_date": "2025-04-01", "end_date": "2025-04-01", "granularity": "TOTAL", "columns": ["IMPRESSION_1"]});
    // The report is made after this instant, so a read answered before
    // `delay` has passed since it is early for the server too.
    let started = std::time::Instant::now();
    let (_, created) = api.call("POST", &format!("/ad_accounts/{acct}/reports"), &[], Some(body)).await;
    let token = created["token"].as_str().unwrap().to_owned();
    let mut early_reads = 0;
    loop {
        let v = api.get(&format!("/ad_accounts/{acct}/reports"), &[("token", &token)]).await;
        let answered_by = started.elapsed();
        if v["report_status"] == "FINISHED" {
            assert!(answered_by >= delay, "finished after {answered_by:?}, before the delay");
            break;
        }
        assert_eq!(v["report_status"], "IN_PROGRESS");
        assert!(v["url"].is_null() && v["size"].is_null(), "{v}");
        if answered_by < delay {
            early_reads += 1;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(early_reads >= 1, "at least the first read came early");
}

#[tokio::test]
async fn report_urls_are_signed_expire_and_gzip_on_request() {
    let api = Api::start(Emulator::builder().report_delay(Duration::ZERO).report_url_ttl(Duration::from_secs(1))).await;
    let (acct, _) = api.accounts().await;
    let body = json!({"level": "CAMPAIGN", "start_date": "2025-04-01", "end_date": "2025-04-02", "granularity": "TOTAL", "columns": ["IMPRESSION_1"], "report_format": "CSV"});
    let (_, created) = api.call("POST", &format!("/ad_accounts/{acct}/reports"), &[], Some(body)).await;
    let token = created["token"].as_str().unwrap();
    let done = wait_finished(&api, &acct, token).await;
    let url = done["url"].as_str().unwrap().to_owned();
    // gzip when asked for.
    let r = api.http.get(&url).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let zipped = r.bytes().await.unwrap();
    let mut plain = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&zipped[..]), &mut plain).unwrap();
    assert!(plain.starts_with("CAMPAIGN_ID,IMPRESSION_1\n"), "{plain}");
    // A tampered signature, another token, no signature.
    let tampered = format!("{}0", url.trim_end_matches(|c: char| c.is_ascii_hexdigit()));
    for bad in [tampered, url.replace(token, "nope"), url.split('?').next().unwrap().to_owned()] {
        let s = api.http.get(&bad).send().await.unwrap().status();
        assert!(s == 403 || s == 404, "{bad}: {s}");
    }
    // The URL expires; a new status read signs a new one.
    let expires: u64 = url.split("expires=").nth(1).unwrap().split('&').next().unwrap().parse().unwrap();
    while pinterest_emulator::state::now() < expires {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let r = api.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("Request has expired"));
    let again = wait_finished(&api, &acct, token).await;
    assert_eq!(api.http.get(again["url"].as_str().unwrap()).send().await.unwrap().status(), 200);
    // The log keeps no signature, and no token.
    let log = api.e.requests();
    assert!(log.iter().any(|r| r.path == "/_emulator/reports/[masked]"));
    assert!(log.iter().all(|r| r.query.iter().all(|(k, v)| k != "signature" || v == "[masked]")));
    assert!(log.iter().all(|r| !r.path.contains(token) && r.query.iter().all(|(_, v)| !v.contains(token))));
    // Unknown tokens and other accounts' tokens do not exist.
    let (_, other) = api.accounts().await;
    let v = api.get(&format!("/ad_accounts/{other}/reports"), &[("token", token)]).await;
    assert_eq!(v["report_status"], "DOES_NOT_EXIST");
    // A range too long for the level.
    let body = json!({"level": "PRODUCT_ITEM", "start_date": "2025-01-01", "end_date": "2025-03-01", "granularity": "DAY", "columns": ["IMPRESSION_1"]});
    let (s, v) = api.call("POST", &format!("/ad_accounts/{acct}/reports"), &[], Some(body)).await;
    assert_eq!(s, 400, "{v}");
    // Breakdowns only on targeting levels, at most five; nothing too big to make.
    let base = json!({"start_date": "2025-01-01", "end_date": "2025-06-30", "columns": ["IMPRESSION_1"]});
    let with = |extra: Value| {
        let mut b = base.clone();
        b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        b
    };
    for (body, want) in [
        (with(json!({"level": "CAMPAIGN", "granularity": "DAY", "targeting_types": ["GENDER"]})), "_TARGETING"),
        (
            with(json!({"level": "CAMPAIGN_TARGETING", "granularity": "DAY",
                "targeting_types": ["GENDER", "APPTYPE", "COUNTRY", "REGION", "GEO", "AGE_BUCKET"]})),
            "at most 5",
        ),
        (
            with(
                json!({"level": "AD_GROUP_TARGETING", "granularity": "HOUR", "targeting_types": ["AGE_BUCKET", "APPTYPE", "REGION", "COUNTRY", "GEO"], "columns": ["SPEND_IN_MICRO_DOLLAR", "ADS_CREDIT_SPEND_IN_MICRO_DOLLAR", "ADS_CREDIT_SPEND_IN_DOLLAR", "PAID_IMPRESSION", "SPEND_IN_DOLLAR", "CPC_IN_MICRO_DOLLAR", "ECPC_IN_MICRO_DOLLAR", "ECPC_IN_DOLLAR", "CTR", "ECTR", "OUTBOUND_CTR", "OUTBOUND_CTR_1", "COST_PER_OUTBOUND_CLICK", "TOTAL_ENGAGEMENT", "ENGAGEMENT_1", "ENGAGEMENT_2", "ECPE_IN_DOLLAR", "ENGAGEMENT_RATE", "EENGAGEMENT_RATE", "ECPM_IN_MICRO_DOLLAR"]}),
            ),
            "values",
        ),
        (with(json!({"level": "CAMPAIGN", "granularity": "DAY", "campaign_ids": ["12a"]})), "digits"),
    ] {
        let (s, v) = api.call("POST", &format!("/ad_accounts/{acct}/reports"), &[], Some(body)).await;
        assert_eq!(s, 400, "{want}");
        assert!(v["message"].as_str().unwrap().contains(want), "{want}: {v}");
    }
}

fn sha(s: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn conversion_events_are_checked_and_kept() {
    let api = Api::start(Emulator::builder()).await;
    let (acct, _) = api.accounts().await;
    let now = pinterest_emulator::state::now();
    let event = |id: &str, em: String| {
        json!({"event_name": "checkout", "action_source": "web", "event_time": now, "event_id": id,
            "user_data": {"em": [em]}, "custom_data": {"currency": "USD", "value": "42.00"}})
    };
    let path = format!("/ad_accounts/{acct}/events");
    let (s, v) = api
        .call(
            "POST",
            &path,
            &[],
            Some(json!({"data": [event("good", sha("jo@example.com")), event("bad", "jo@example.com".into())]})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["num_events_received"], 2);
    assert_eq!(v["num_events_processed"], 1);
    assert_eq!(v["events"][0]["status"], "processed");
    assert_eq!(v["events"][1]["status"], "failed");
    assert!(v["events"][1]["error_message"].as_str().unwrap().contains("SHA-256"));
    // Only the good one is kept, and shown by the admin API.
    let kept = api.e.events();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["event"]["event_id"], "good");
    let admin: Value =
        api.http.get(format!("{}/_emulator/events", api.e.base_url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(admin["items"][0]["ad_account_id"], json!(acct));
    // A plain email where a list of digests belongs.
    let mut plain = event("plain", sha("p@l.ain"));
    plain["user_data"]["em"] = json!("p@l.ain");
    let (s, v) = api.call("POST", &path, &[], Some(json!({"data": [plain, event("ok", sha("o@k.k"))]}))).await;
    assert_eq!(s, 200);
    assert!(v["events"][0]["error_message"].as_str().unwrap().contains("list of SHA-256"), "{v}");
    // All refused: 422 with the details.
    let mut old = event("old", sha("a@b.c"));
    old["event_time"] = json!(now - 30 * 24 * 3600);
    let (s, v2) = api.call("POST", &path, &[], Some(json!({"data": [old]}))).await;
    assert_eq!(s, 422, "{v2}");
    assert_eq!(v2["details"]["events"][0]["status"], "failed", "{v2}");
    // Test mode checks but keeps nothing.
    let before = api.e.events().len();
    let (s, _) = api.call("POST", &path, &[("test", "true")], Some(json!({"data": [event("t", sha("t@e.st"))]}))).await;
    assert_eq!(s, 200);
    assert_eq!(api.e.events().len(), before);
    // The batch limit.
    let many: Vec<Value> = (0..1001).map(|i| event(&i.to_string(), sha("x@y.z"))).collect();
    let (s, _) = api.call("POST", &path, &[], Some(json!({"data": many}))).await;
    assert_eq!(s, 400);
    // A conversion token sends events, and nothing else.
    let (_, conv) = api.call("POST", "/oauth/conversion_token", &[], None).await;
    let conv = conv["access_token"].as_str().unwrap();
    let send = |path: String, body: Option<Value>| {
        let mut r = api
            .http
            .request(
                if body.is_some() { http::Method::POST } else { http::Method::GET },
                format!("{}/v5{path}", api.e.base_url()),
            )
            .bearer_auth(conv);
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send()
    };
    assert_eq!(send(path.clone(), Some(json!({"data": [event("c", sha("c@d.e"))]}))).await.unwrap().status(), 200);
    assert_eq!(send("/boards".into(), None).await.unwrap().status(), 403);
}
