//! The ads core made stateful: campaigns, ad groups and ads are created and
//! updated in the seeded world (`world.rs`) with the checks Pinterest
//! applies, and every ads and organic analytics operation answers from the
//! arithmetic in `analytics.rs`.
//!
//! Writes take a batch and answer each item with `data` or `exceptions`,
//! as Pinterest's bulk operations do. The checks, from the rules the spec
//! states for the fields:
//! - the body's `ad_account_id` is the path's; a parent (campaign of an ad
//!   group, ad group of an ad) belongs to the same ad account and is not
//!   archived; a Pin to promote is the user's and not on a secret board;
//! - a campaign has a daily or a lifetime spend cap, not both, and a
//!   campaign-budget-optimized (CBO) one must have one; its ad groups then
//!   take `budget_type: CBO_ADGROUP` and no budget of their own, other ad
//!   groups need `budget_in_micro_currency`;
//! - amounts are at least the account currency's minimum and whole minor
//!   units of it (cents, whole yen);
//! - a lifetime budget or a frequency cap needs an `end_time`, a start
//!   comes before its end, an ad group's schedule sits inside its campaign's;
//! - a bid is required where the objective and billable event call for one;
//! - archived entities stay archived, only drafts become drafts, the
//!   objective, the parent and the budget type (outside drafts) never change.

use std::collections::BTreeMap;

use axum::body::Body;
use http::{Response, StatusCode};
use serde_json::{Map, Value, json};

use crate::analytics::{self, Bucket, Leaves, Slice, Sums};
use crate::api::{Call, bad_request, forbidden, json, not_found};
use crate::state::Data;
use crate::world::Rec;

/// Answers the ads and analytics operations that are stateful, or `None`.
pub fn handle(call: &Call<'_>) -> Option<Response<Body>> {
    let op = call.op.id;
    Some(match op {
        "campaigns/create" | "ad_groups/create" | "ads/create" | "campaigns/update" | "ad_groups/update"
        | "ads/update" => write(call),
        "ad_account/analytics"
        | "campaigns/analytics"
        | "ad_groups/analytics"
        | "ads/analytics"
        | "ad_pins/analytics"
        | "product_groups/analytics" => sync_analytics(call, false),
        "ad_account_targeting_analytics/get"
        | "campaign_targeting_analytics/get"
        | "ad_groups_targeting_analytics/get"
        | "ad_targeting_analytics/get" => sync_analytics(call, true),
        "user_account/analytics"
        | "pins/analytics"
        | "multi_pins/analytics"
        | "user_account/analytics/top_pins"
        | "user_account/analytics/top_video_pins" => organic(call),
        "analytics/create_report" => crate::reports::create(call),
        "analytics/get_report" => crate::reports::status(call),
        "events/create" => crate::reports::events(call),
        _ => return None,
    })
}

/// The ad account `id` the user can reach (owned or through business
/// access).
pub fn account<'d>(d: &'d Data, id: &str) -> Option<&'d Rec> {
    d.world.lists.get("ad_accounts/list")?.iter().find(|r| r.value["id"].as_str() == Some(id))
}

/// Records of `list` in ad account `account`.
pub fn records<'d>(d: &'d Data, list: &str, account: &str) -> Vec<&'d Rec> {
    d.world
        .lists
        .get(list)
        .map(|recs| recs.iter().filter(|r| r.scope.get("ad_account_id").map(String::as_str) == Some(account)).collect())
        .unwrap_or_default()
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Makes the seeded ads world one that passes its own checks: the owned
/// ad account in USD, the one shared through business access in EUR with a
/// campaign manager's role; campaigns with a daily cap only and no fixed
/// schedule; ad groups without one either; ads promoting the user's public
/// Pins.
pub fn settle(d: &mut Data) {
    let public_pins: Vec<String> = d
        .pins
        .iter()
        .filter(|(_, p)| !d.board_is_secret(p["board_id"].as_str().unwrap_or_default()))
        .map(|(id, _)| id.clone())
        .collect();
    let lists = &mut d.world.lists;
    for (n, r) in lists.get_mut("ad_accounts/list").into_iter().flatten().enumerate() {
        let shared = r.scope.contains_key("shared");
        r.value["currency"] = json!(if shared { "EUR" } else { "USD" });
        r.value["country"] = json!(if shared { "DE" } else { "US" });
        r.value["permissions"] = json!(if shared { vec!["CAMPAIGN_MANAGER"] } else { vec!["OWNER"] });
        r.value["name"] = json!(if n == 0 { "Emulator Bakery Ads" } else { "Partner Agency (shared)" });
    }
    for (n, r) in lists.get_mut(CAMPAIGN.list).into_iter().flatten().enumerate() {
        r.value["daily_spend_cap"] = json!(25_000_000 + 5_000_000 * (n as i64 % 3));
        r.value["lifetime_spend_cap"] = Value::Null;
        r.value["is_campaign_budget_optimization"] = json!(false);
        r.value["start_time"] = Value::Null;
        r.value["end_time"] = Value::Null;
    }
    for r in lists.get_mut(AD_GROUP.list).into_iter().flatten() {
        r.value["start_time"] = Value::Null;
        r.value["end_time"] = Value::Null;
        r.value["budget_type"] = json!("DAILY");
        // No frequency cap: one would need an end time.
        r.value["lifetime_frequency_cap"] = json!(0);
    }
    for (n, r) in lists.get_mut(AD.list).into_iter().flatten().enumerate() {
        if let Some(pin) = public_pins.get(n % public_pins.len().max(1)) {
            r.value["pin_id"] = json!(pin);
        }
    }
}

// ---------------------------------------------------------------- writes

/// What differs between campaigns, ad groups and ads.
struct Entity {
    list: &'static str,
    schema: &'static str,
    label: &'static str,
    /// `type` in the answers.
    kind: &'static str,
    /// Fields set to null when a create leaves them out (the example's
    /// values would be made up).
    nullable: &'static [&'static str],
    /// Fields a create leaves out of the record when not given (they are not
    /// in the answer's schema).
    omit: &'static [&'static str],
}

const CAMPAIGN: Entity = Entity {
    list: "campaigns/list",
    schema: "CampaignResponse",
    label: "Campaign",
    kind: "campaign",
    nullable: &[
        "daily_spend_cap",
        "lifetime_spend_cap",
        "start_time",
        "end_time",
        "order_line_id",
        "tracking_urls",
        "default_ad_group_budget_in_micro_currency",
        "is_campaign_budget_optimization",
    ],
    omit: &["default_ad_group_budget_in_micro_currency"],
};

const AD_GROUP: Entity = Entity {
    list: "ad_groups/list",
    schema: "AdGroupResponse",
    label: "Ad group",
    kind: "adgroup",
    nullable: &[
        "bid_in_micro_currency",
        "bid_strategy_type",
        "budget_in_micro_currency",
        "start_time",
        "end_time",
        "is_creative_optimization",
        "optimization_goal_metadata",
        "promotion_application_level",
        "promotion_id",
        "targeting_template_ids",
        "tracking_urls",
        "conversion_learning_mode_type",
        "bid_multiplier",
    ],
    omit: &[],
};

const AD: Entity = Entity {
    list: "ads/list",
    schema: "AdResponse",
    label: "Ad",
    kind: "pinpromotion",
    nullable: &[
        "android_deep_link",
        "carousel_android_deep_links",
        "carousel_destination_urls",
        "carousel_ios_deep_links",
        "click_tracking_url",
        "destination_url",
        "disclosure_url",
        "grid_click_type",
        "ios_deep_link",
        "lead_form_id",
        "name",
        "quiz_pin_data",
        "tracking_urls",
        "view_tracking_url",
        "collection_items_destination_url_template",
    ],
    omit: &[],
};

/// Fields only the server sets.
const SERVER_FIELDS: &[&str] = &[
    "id",
    "ad_account_id",
    "created_time",
    "updated_time",
    "summary_status",
    "type",
    "review_status",
    "rejected_reasons",
    "rejection_labels",
];

/// Code of a refused item: invalid input, and a parent that is not there.
const INVALID: i64 = 1;
const MISSING: i64 = 3;

type Refusal = (i64, String);

/// Most items in one create or update.
const MAX_BATCH: usize = 30;

fn invalid(message: impl Into<String>) -> Refusal {
    (INVALID, message.into())
}

fn write(call: &Call<'_>) -> Response<Body> {
    let (entity, creating) = match call.op.id {
        "campaigns/create" => (&CAMPAIGN, true),
        "campaigns/update" => (&CAMPAIGN, false),
        "ad_groups/create" => (&AD_GROUP, true),
        "ad_groups/update" => (&AD_GROUP, false),
        "ads/create" => (&AD, true),
        _ => (&AD, false),
    };
    let account_id = call.path_param("ad_account_id").to_owned();
    let mut d = call.shared.data();
    let Some(acct) = account(&d, &account_id) else { return not_found("Ad account") };
    if let Some(refused) = refuse_write(&d, &account_id) {
        return refused;
    }
    let currency = acct.value["currency"].as_str().unwrap_or("USD").to_owned();
    let items = call.body.as_ref().and_then(Value::as_array).cloned().unwrap_or_default();
    if items.is_empty() || items.len() > MAX_BATCH {
        return bad_request(&format!("a batch holds 1 to {MAX_BATCH} items, not {}", items.len()));
    }
    let mut answers = Vec::new();
    for item in &items {
        let done = if creating {
            create(&mut d, entity, &account_id, &currency, item)
        } else {
            update(&mut d, entity, &account_id, &currency, item)
        };
        // The spec gives an ad's answer one exception, the others a list.
        let single = entity.kind == "pinpromotion";
        answers.push(match (done, single) {
            (Ok(v), true) => json!({"data": v}),
            (Ok(v), false) => json!({"data": v, "exceptions": []}),
            (Err((code, message)), true) => json!({"exceptions": {"code": code, "message": message}}),
            (Err((code, message)), false) => json!({"exceptions": [{"code": code, "message": message}]}),
        });
    }
    json(StatusCode::OK, &json!({"items": answers}))
}

/// Unix seconds: fixed and increasing under a seed, the clock otherwise.
fn unix_time(d: &Data) -> u64 {
    match d.seed {
        Some(_) => 1_735_689_600 + d.counter,
        None => crate::state::now(),
    }
}

fn summary_status(entity: &Entity, status: &str) -> &'static str {
    match (entity.kind, status) {
        (_, "PAUSED") => "PAUSED",
        (_, "ARCHIVED") => "ARCHIVED",
        (_, "DRAFT") => "DRAFT",
        (_, "DELETED_DRAFT") => "DELETED_DRAFT",
        ("pinpromotion", _) => "APPROVED",
        _ => "RUNNING",
    }
}

/// `C123` → `123`, `AG123` → `123`.
fn bare_id(v: &Value, prefix: &str) -> Option<String> {
    let s = v.as_str()?;
    Some(s.strip_prefix(prefix).unwrap_or(s).to_owned())
}

/// The fields an item sets: decoded into the SDK's request model of the
/// operation (so a field the request schema lacks, such as an ad's
/// `campaign_id`, or a value of the wrong type, never reaches a record)
/// and written back. An explicit null clears a nullable field; on any
/// other field it is "not given".
fn request_fields(entity: &Entity, creating: bool, item: &Value) -> Result<Map<String, Value>, Refusal> {
    use pinterest_sdk::models;
    fn roundtrip<T: serde::de::DeserializeOwned + serde::Serialize>(item: &Value) -> Result<Value, String> {
        let typed: T = serde_json::from_value(item.clone()).map_err(|e| e.to_string())?;
        serde_json::to_value(typed).map_err(|e| e.to_string())
    }
    if !item.is_object() {
        return Err(invalid("each item is an object"));
    }
    let decoded = match (entity.kind, creating) {
        ("campaign", true) => roundtrip::<models::CampaignCreateRequest>(item),
        ("campaign", false) => roundtrip::<models::CampaignUpdateRequest>(item),
        ("adgroup", true) => roundtrip::<models::AdGroupCreateRequest>(item),
        ("adgroup", false) => roundtrip::<models::AdGroupUpdateRequest>(item),
        (_, true) => roundtrip::<models::AdCreateRequest>(item),
        (_, false) => roundtrip::<models::AdUpdateRequest>(item),
    }
    .map_err(|e| invalid(format!("invalid item: {e}")))?;
    let mut fields = decoded.as_object().cloned().unwrap_or_default();
    for (k, v) in item.as_object().into_iter().flatten() {
        if v.is_null() && entity.nullable.contains(&k.as_str()) {
            fields.insert(k.clone(), Value::Null);
        }
    }
    for k in SERVER_FIELDS.iter().filter(|k| **k != "id" && **k != "ad_account_id") {
        fields.remove(*k);
    }
    // Parent ids may come with their prefix.
    if let Some(c) = fields.get("campaign_id").and_then(|v| bare_id(v, "C")) {
        fields.insert("campaign_id".into(), json!(c));
    }
    if let Some(g) = fields.get("ad_group_id").and_then(|v| bare_id(v, "AG")) {
        fields.insert("ad_group_id".into(), json!(g));
    }
    Ok(fields)
}

fn create(d: &mut Data, entity: &Entity, account_id: &str, currency: &str, item: &Value) -> Result<Value, Refusal> {
    let mut fields = request_fields(entity, true, item)?;
    if entity.kind == "campaign" && fields.get("ad_account_id").and_then(Value::as_str) != Some(account_id) {
        return Err(invalid("ad_account_id must be the ad account of the path"));
    }
    fields.remove("ad_account_id");
    let mut rec = crate::generated::schema(entity.schema).unwrap_or_else(|| json!({}));
    let Some(obj) = rec.as_object_mut() else { return Err(invalid("no template")) };
    for k in entity.nullable {
        obj.insert((*k).to_owned(), Value::Null);
    }
    for k in entity.omit {
        obj.remove(*k);
    }
    // What the template holds that the request did not set is the
    // example's; these get their defaults instead.
    let defaults: &[(&str, Value)] = match entity.kind {
        "campaign" => &[
            ("status", json!("ACTIVE")),
            ("is_automated_campaign", json!(false)),
            ("is_flexible_daily_budgets", json!(false)),
            ("is_performance_plus", json!(false)),
            ("bid_options", json!({})),
        ],
        "adgroup" => &[
            ("status", json!("ACTIVE")),
            ("budget_type", json!("DAILY")),
            ("targeting_spec", json!({})),
            ("auto_targeting_enabled", json!(true)),
            ("pacing_delivery_type", json!("STANDARD")),
            ("placement_group", json!("ALL")),
            // No cap (the field may not be null).
            ("lifetime_frequency_cap", json!(0)),
            ("feed_profile_id", json!("0")),
            ("dca_assets", json!({})),
        ],
        _ => &[
            ("status", json!("ACTIVE")),
            ("is_removable", json!(false)),
            ("disclosure_type", json!("NO_DISCLOSURE")),
            ("customizable_cta_type", json!("LEARN_MORE")),
        ],
    };
    for (k, v) in defaults {
        obj.insert((*k).to_owned(), v.clone());
    }
    obj.extend(fields);
    let mut scope = BTreeMap::from([("ad_account_id".to_owned(), account_id.to_owned())]);
    match entity.kind {
        "campaign" => {}
        "adgroup" => {
            let campaign = text(&obj["campaign_id"]).unwrap_or_default();
            scope.insert("campaign_id".into(), campaign);
        }
        _ => {
            let group_id = text(&obj["ad_group_id"]).unwrap_or_default();
            let group = find(d, &AD_GROUP, account_id, &group_id)
                .ok_or_else(|| (MISSING, format!("Ad group {group_id} not found in this ad account.")))?;
            let campaign = text(&group.value["campaign_id"]).unwrap_or_default();
            obj.insert("campaign_id".into(), json!(campaign));
            obj.insert("review_status".into(), json!("PENDING"));
            obj.insert("rejected_reasons".into(), json!([]));
            obj.insert("rejection_labels".into(), json!([]));
            obj.insert("is_pin_deleted".into(), json!(false));
            scope.insert("ad_group_id".into(), group_id);
            scope.insert("campaign_id".into(), campaign);
        }
    }
    check(d, entity, account_id, currency, &rec, None)?;
    let id = d.id();
    let now = unix_time(d);
    let status = rec["status"].as_str().unwrap_or("ACTIVE").to_owned();
    if let Some(obj) = rec.as_object_mut() {
        obj.insert("id".into(), json!(id));
        obj.insert("ad_account_id".into(), json!(account_id));
        obj.insert("created_time".into(), json!(now));
        obj.insert("updated_time".into(), json!(now));
        // A new ad waits for review.
        let summary = if entity.kind == "pinpromotion" && status == "ACTIVE" {
            "PENDING"
        } else {
            summary_status(entity, &status)
        };
        obj.insert("summary_status".into(), json!(summary));
        obj.insert("type".into(), json!(entity.kind));
    }
    d.world.lists.entry(entity.list.to_owned()).or_default().push(Rec { scope, value: rec.clone() });
    Ok(rec)
}

fn find<'d>(d: &'d Data, entity: &Entity, account_id: &str, id: &str) -> Option<&'d Rec> {
    records(d, entity.list, account_id).into_iter().find(|r| text(&r.value["id"]).as_deref() == Some(id))
}

fn update(d: &mut Data, entity: &Entity, account_id: &str, currency: &str, item: &Value) -> Result<Value, Refusal> {
    let mut fields = request_fields(entity, false, item)?;
    let id = fields.remove("id").and_then(|v| text(&v)).unwrap_or_default();
    if entity.kind == "campaign" && fields.get("ad_account_id").and_then(Value::as_str) != Some(account_id) {
        return Err(invalid("ad_account_id must be the ad account of the path"));
    }
    fields.remove("ad_account_id");
    let Some(old) = find(d, entity, account_id, &id).map(|r| r.value.clone()) else {
        return Err((MISSING, format!("{} {id} not found in this ad account.", entity.label)));
    };
    let mut rec = old.clone();
    if let Some(obj) = rec.as_object_mut() {
        obj.extend(fields);
    }
    check(d, entity, account_id, currency, &rec, Some(&old))?;
    let now = unix_time(d);
    let status = rec["status"].as_str().unwrap_or("ACTIVE").to_owned();
    rec["updated_time"] = json!(now);
    rec["summary_status"] = json!(summary_status(entity, &status));
    if let Some(r) = d.world.lists.get_mut(entity.list).and_then(|recs| {
        recs.iter_mut().find(|r| {
            r.scope.get("ad_account_id").map(String::as_str) == Some(account_id)
                && text(&r.value["id"]).as_deref() == Some(id.as_str())
        })
    }) {
        r.value = rec.clone();
    }
    // Switching campaign budget optimization on or off rewrites the
    // budgets of the campaign's ad groups.
    let cbo = |v: &Value| v["is_campaign_budget_optimization"] == json!(true);
    if entity.kind == "campaign" && cbo(&old) != cbo(&rec) {
        let default_budget = rec["default_ad_group_budget_in_micro_currency"].clone();
        for g in d.world.lists.get_mut(AD_GROUP.list).into_iter().flatten().filter(|g| {
            g.scope.get("ad_account_id").map(String::as_str) == Some(account_id)
                && text(&g.value["campaign_id"]).as_deref() == Some(id.as_str())
        }) {
            if cbo(&rec) {
                g.value["budget_type"] = json!("CBO_ADGROUP");
                g.value["budget_in_micro_currency"] = Value::Null;
            } else {
                g.value["budget_type"] = json!("DAILY");
                g.value["budget_in_micro_currency"] = default_budget.clone();
            }
            g.value["updated_time"] = json!(now);
        }
    }
    Ok(rec)
}

/// The smallest budget or cap of a currency, in micro-units, and the size
/// of its minor unit in micro-units.
fn currency_units(currency: &str) -> (i64, i64) {
    const MICRO: i64 = 1_000_000;
    match currency {
        "JPY" => (100 * MICRO, MICRO),
        "KRW" => (1_000 * MICRO, MICRO),
        "CLP" | "COP" | "HUF" | "VND" | "ISK" => (1_000 * MICRO, MICRO),
        "SEK" | "NOK" | "DKK" | "CZK" | "MXN" | "ZAR" | "HKD" | "TRY" | "INR" => (10 * MICRO, MICRO / 100),
        _ => (MICRO, MICRO / 100),
    }
}

fn check_amount(field: &str, v: &Value, currency: &str) -> Result<(), Refusal> {
    let Some(n) = v.as_i64() else {
        return if v.is_null() { Ok(()) } else { Err(invalid(format!("{field} must be an integer of micro-units"))) };
    };
    let (min, unit) = currency_units(currency);
    if n < min {
        return Err(invalid(format!(
            "{field} must be at least {} {currency} ({min} micro-units), not {n}",
            min / 1_000_000
        )));
    }
    if n % unit != 0 {
        return Err(invalid(format!("{field} must be a whole number of {currency} minor units ({unit} micro-units)")));
    }
    Ok(())
}

/// Checks status changes and what never changes.
fn check_change(entity: &Entity, rec: &Value, old: &Value) -> Result<(), Refusal> {
    let (was, is) = (old["status"].as_str().unwrap_or_default(), rec["status"].as_str().unwrap_or_default());
    if was != is {
        if matches!(was, "ARCHIVED" | "DELETED_DRAFT") {
            return Err(invalid(format!("An {} {} cannot change its status.", was.to_lowercase(), entity.kind)));
        }
        if is == "DRAFT" {
            return Err(invalid("Only a draft can be a draft."));
        }
        if is == "DELETED_DRAFT" && was != "DRAFT" {
            return Err(invalid("Only a draft can be deleted as a draft; archive it instead."));
        }
    }
    let fixed: &[&str] = match entity.kind {
        "campaign" => &["objective_type"],
        "adgroup" => &["campaign_id"],
        _ => &["ad_group_id", "campaign_id"],
    };
    for f in fixed {
        if !rec[*f].is_null() && rec[*f] != old[*f] {
            return Err(invalid(format!("{f} cannot be changed.")));
        }
    }
    if was != "DRAFT" {
        for f in ["budget_type", "pin_id"] {
            if rec.get(f) != old.get(f) {
                return Err(invalid(format!("Only a draft can change its {f}.")));
            }
        }
    }
    Ok(())
}

fn check(
    d: &Data,
    entity: &Entity,
    account_id: &str,
    currency: &str,
    rec: &Value,
    old: Option<&Value>,
) -> Result<(), Refusal> {
    if let Some(old) = old {
        check_change(entity, rec, old)?;
    }
    let name_required = entity.kind != "pinpromotion";
    if name_required && rec["name"].as_str().is_none_or(|n| n.trim().is_empty()) {
        return Err(invalid(format!("A {} needs a name.", entity.label.to_lowercase())));
    }
    let (start, end) = (rec["start_time"].as_i64(), rec["end_time"].as_i64());
    if let (Some(s), Some(e)) = (start, end)
        && s >= e
    {
        return Err(invalid("start_time must come before end_time"));
    }
    match entity.kind {
        "campaign" => {
            let (daily, lifetime) = (&rec["daily_spend_cap"], &rec["lifetime_spend_cap"]);
            if !daily.is_null() && !lifetime.is_null() {
                return Err(invalid("daily_spend_cap and lifetime_spend_cap cannot both be set"));
            }
            check_amount("daily_spend_cap", daily, currency)?;
            check_amount("lifetime_spend_cap", lifetime, currency)?;
            check_amount(
                "default_ad_group_budget_in_micro_currency",
                &rec["default_ad_group_budget_in_micro_currency"],
                currency,
            )?;
            if rec["is_campaign_budget_optimization"] == json!(true) && daily.is_null() && lifetime.is_null() {
                return Err(invalid(
                    "a campaign budget optimization (CBO) campaign needs a daily or lifetime spend cap",
                ));
            }
            if !lifetime.is_null() && end.is_none() {
                return Err(invalid("a lifetime spend cap needs an end_time"));
            }
            let id = text(&rec["id"]).unwrap_or_default();
            let has_groups = records(d, AD_GROUP.list, account_id)
                .into_iter()
                .any(|g| text(&g.value["campaign_id"]).as_deref() == Some(id.as_str()));
            let was_cbo = old.is_some_and(|o| o["is_campaign_budget_optimization"] == json!(true));
            let is_cbo = rec["is_campaign_budget_optimization"] == json!(true);
            if was_cbo && !is_cbo && has_groups && rec["default_ad_group_budget_in_micro_currency"].is_null() {
                return Err(invalid(
                    "turning campaign budget optimization off needs default_ad_group_budget_in_micro_currency for the ad groups",
                ));
            }
            // The campaign's schedule holds its ad groups'.
            let id = text(&rec["id"]).unwrap_or_default();
            for g in records(d, AD_GROUP.list, account_id)
                .into_iter()
                .filter(|g| text(&g.value["campaign_id"]) == Some(id.clone()))
            {
                if let (Some(s), Some(gs)) = (start, g.value["start_time"].as_i64())
                    && gs < s
                {
                    return Err(invalid("start_time must precede the start times of the campaign's ad groups"));
                }
                if let (Some(e), Some(ge)) = (end, g.value["end_time"].as_i64())
                    && ge > e
                {
                    return Err(invalid("end_time must follow the end times of the campaign's ad groups"));
                }
            }
        }
        "adgroup" => {
            let cid = text(&rec["campaign_id"]).unwrap_or_default();
            let Some(campaign) = find(d, &CAMPAIGN, account_id, &cid) else {
                return Err((MISSING, format!("Campaign {cid} not found in this ad account.")));
            };
            let c = &campaign.value;
            if old.is_none() && matches!(c["status"].as_str(), Some("ARCHIVED" | "DELETED_DRAFT")) {
                return Err(invalid(format!("Campaign {cid} is archived: it takes no new ad groups.")));
            }
            let cbo = c["is_campaign_budget_optimization"] == json!(true);
            let budget_type = rec["budget_type"].as_str().unwrap_or("DAILY");
            if cbo && budget_type != "CBO_ADGROUP" {
                return Err(invalid("the ad groups of a CBO campaign take budget_type CBO_ADGROUP"));
            }
            if !cbo && budget_type == "CBO_ADGROUP" {
                return Err(invalid("budget_type CBO_ADGROUP is for the ad groups of CBO campaigns"));
            }
            if cbo && !rec["budget_in_micro_currency"].is_null() && old.is_none() {
                return Err(invalid("a CBO campaign sets its ad groups' budgets: leave budget_in_micro_currency out"));
            }
            if !cbo && rec["budget_in_micro_currency"].is_null() {
                return Err(invalid("budget_in_micro_currency is required outside CBO campaigns"));
            }
            if cbo && old.is_none() {
                let siblings = records(d, AD_GROUP.list, account_id)
                    .into_iter()
                    .filter(|g| text(&g.value["campaign_id"]).as_deref() == Some(cid.as_str()))
                    .count();
                if siblings >= 70 {
                    return Err(invalid("a CBO campaign has at most 70 ad groups"));
                }
            }
            check_amount("budget_in_micro_currency", &rec["budget_in_micro_currency"], currency)?;
            if let Some(bid) = rec["bid_in_micro_currency"].as_i64() {
                let (_, unit) = currency_units(currency);
                if bid <= 0 || bid % unit != 0 {
                    return Err(invalid(format!(
                        "bid_in_micro_currency must be a positive whole number of {currency} minor units"
                    )));
                }
            }
            if budget_type == "LIFETIME" && end.is_none() {
                return Err(invalid("budget_type LIFETIME needs an end_time"));
            }
            if rec["lifetime_frequency_cap"].as_i64().is_some_and(|c| c > 0) && end.is_none() {
                return Err(invalid("lifetime_frequency_cap needs an end_time"));
            }
            let needs_bid = matches!(
                (c["objective_type"].as_str().unwrap_or_default(), rec["billable_event"].as_str().unwrap_or_default()),
                ("AWARENESS", "IMPRESSION") | ("CONSIDERATION", "CLICKTHROUGH") | ("CATALOG_SALES", "CLICKTHROUGH")
            );
            if needs_bid && rec["bid_in_micro_currency"].is_null() && rec["bid_strategy_type"] != json!("AUTOMATIC_BID")
            {
                return Err(invalid("bid_in_micro_currency is required for this objective and billable event"));
            }
            if let (Some(cs), Some(s)) = (c["start_time"].as_i64(), start)
                && s < cs
            {
                return Err(invalid("start_time cannot precede the campaign's start_time"));
            }
            if let (Some(ce), Some(e)) = (c["end_time"].as_i64(), end)
                && e > ce
            {
                return Err(invalid("end_time cannot follow the campaign's end_time"));
            }
        }
        _ => {
            let gid = text(&rec["ad_group_id"]).unwrap_or_default();
            let Some(group) = find(d, &AD_GROUP, account_id, &gid) else {
                return Err((MISSING, format!("Ad group {gid} not found in this ad account.")));
            };
            if old.is_none() && matches!(group.value["status"].as_str(), Some("ARCHIVED" | "DELETED_DRAFT")) {
                return Err(invalid(format!("Ad group {gid} is archived: it takes no new ads.")));
            }
            let pin_id = rec["pin_id"].as_str().unwrap_or_default();
            match d.pins.get(pin_id) {
                None => return Err((MISSING, format!("Pin {pin_id} not found."))),
                Some(p) if d.board_is_secret(p["board_id"].as_str().unwrap_or_default()) => {
                    return Err(invalid("A Pin on a secret board cannot be promoted."));
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

// ------------------------------------------------------------- analytics

/// The level of an ads analytics or report request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Advertiser,
    Campaign,
    AdGroup,
    Ad,
    Pin,
    Keyword,
    ProductGroup,
    ProductItem,
}

impl Level {
    /// The id column of a row at this level.
    pub fn id_column(self, report: bool) -> &'static str {
        match self {
            Level::Advertiser if report => "ADVERTISER_ID",
            Level::Advertiser => "AD_ACCOUNT_ID",
            Level::Campaign => "CAMPAIGN_ID",
            Level::AdGroup => "AD_GROUP_ID",
            Level::Ad if report => "PIN_PROMOTION_ID",
            Level::Ad => "AD_ID",
            Level::Pin => "PIN_ID",
            Level::Keyword => "KEYWORD_ID",
            Level::ProductGroup => "PRODUCT_GROUP_ID",
            Level::ProductItem => "ITEM_ID",
        }
    }

    /// From a report's `level` (`CAMPAIGN_TARGETING` is `CAMPAIGN` broken
    /// down by targeting).
    pub fn from_report(level: &str) -> Option<(Level, bool)> {
        let targeting = level.ends_with("_TARGETING");
        let base = level.trim_end_matches("_TARGETING");
        let l = match base {
            "ADVERTISER" => Level::Advertiser,
            "CAMPAIGN" => Level::Campaign,
            "AD_GROUP" => Level::AdGroup,
            "PIN_PROMOTION" => Level::Ad,
            "KEYWORD" => Level::Keyword,
            "PRODUCT_GROUP" => Level::ProductGroup,
            "PRODUCT_ITEM" => Level::ProductItem,
            _ => return None,
        };
        Some((l, targeting))
    }
}

/// One entity of a level: its id, the leaves it sums, and its attributes.
#[derive(Debug, Clone)]
pub struct Reported {
    pub id: String,
    pub leaves: Vec<String>,
    pub attributes: Map<String, Value>,
}

/// The ads of an account as (id, ad group, campaign).
fn ads(d: &Data, account_id: &str) -> Vec<(String, String, String)> {
    records(d, AD.list, account_id)
        .into_iter()
        .map(|r| {
            let v = &r.value;
            (
                text(&v["id"]).unwrap_or_default(),
                text(&v["ad_group_id"]).unwrap_or_default(),
                text(&v["campaign_id"]).unwrap_or_default(),
            )
        })
        .collect()
}

/// Product items: two per product group promotion, with ids of their own.
fn product_items(group_id: &str) -> Vec<String> {
    (1..=2).map(|n| format!("{}{n}", group_id.get(..group_id.len().min(16)).unwrap_or(group_id))).collect()
}

/// Every entity of `level` in the account, in id order.
pub fn entities(d: &Data, account_id: &str, level: Level) -> Vec<Reported> {
    let all_ads = ads(d, account_id);
    let acct = account(d, account_id).map(|r| r.value.clone()).unwrap_or_default();
    let with = |id: &str, leaves: Vec<String>, attrs: Vec<(&str, Value)>| Reported {
        id: id.to_owned(),
        leaves,
        attributes: attrs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
    };
    let of_list = |entity: &Entity,
                   leaves_of: &dyn Fn(&str) -> Vec<String>,
                   attrs: &dyn Fn(&Value) -> Vec<(&'static str, Value)>| {
        records(d, entity.list, account_id)
            .into_iter()
            .map(|r| {
                let id = text(&r.value["id"]).unwrap_or_default();
                with(&id, leaves_of(&id), attrs(&r.value))
            })
            .collect::<Vec<_>>()
    };
    let mut out = match level {
        Level::Advertiser => vec![with(
            account_id,
            all_ads.iter().map(|a| a.0.clone()).collect(),
            vec![("AD_ACCOUNT_ID", json!(account_id)), ("ADVERTISER_ID", json!(account_id))],
        )],
        Level::Campaign => {
            of_list(&CAMPAIGN, &|id| all_ads.iter().filter(|a| a.2 == id).map(|a| a.0.clone()).collect(), &|v| {
                vec![
                    ("CAMPAIGN_NAME", v["name"].clone()),
                    ("CAMPAIGN_STATUS", v["status"].clone()),
                    ("CAMPAIGN_ENTITY_STATUS", v["status"].clone()),
                    ("CAMPAIGN_OBJECTIVE_TYPE", v["objective_type"].clone()),
                ]
            })
        }
        Level::AdGroup => {
            of_list(&AD_GROUP, &|id| all_ads.iter().filter(|a| a.1 == id).map(|a| a.0.clone()).collect(), &|v| {
                vec![
                    ("CAMPAIGN_ID", v["campaign_id"].clone()),
                    ("AD_GROUP_NAME", v["name"].clone()),
                    ("AD_GROUP_STATUS", v["status"].clone()),
                    ("AD_GROUP_ENTITY_STATUS", v["status"].clone()),
                    ("AD_GROUP_BUDGET_TYPE", v["budget_type"].clone()),
                ]
            })
        }
        Level::Ad => of_list(&AD, &|id| vec![id.to_owned()], &|v| {
            vec![
                ("CAMPAIGN_ID", v["campaign_id"].clone()),
                ("AD_GROUP_ID", v["ad_group_id"].clone()),
                ("AD_ID", v["id"].clone()),
                ("PIN_ID", v["pin_id"].clone()),
                ("AD_NAME", v["name"].clone()),
                ("PIN_PROMOTION_NAME", v["name"].clone()),
                ("AD_STATUS", v["status"].clone()),
                ("PIN_PROMOTION_STATUS", v["status"].clone()),
            ]
        }),
        Level::Pin => {
            let mut pins: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for r in records(d, AD.list, account_id) {
                if let (Some(pin), Some(ad)) = (text(&r.value["pin_id"]), text(&r.value["id"])) {
                    pins.entry(pin).or_default().push(ad);
                }
            }
            pins.into_iter().map(|(pin, ads)| with(&pin, ads, vec![])).collect()
        }
        Level::Keyword => records(d, "keywords/get", account_id)
            .into_iter()
            .map(|r| {
                let id = text(&r.value["id"]).unwrap_or_default();
                let leaf = format!("keyword:{id}");
                with(
                    &id,
                    vec![leaf],
                    vec![
                        ("AD_GROUP_ID", r.value["parent_id"].clone()),
                        ("CAMPAIGN_ID", json!(r.scope.get("campaign_id"))),
                    ],
                )
            })
            .collect(),
        Level::ProductGroup | Level::ProductItem => {
            let mut out = Vec::new();
            for r in records(d, "product_group_promotions/list", account_id) {
                let gid =
                    text(&r.value["catalog_product_group_id"]).or_else(|| text(&r.value["id"])).unwrap_or_default();
                let items: Vec<String> = product_items(&gid);
                let attrs = vec![
                    ("AD_GROUP_ID", r.value["ad_group_id"].clone()),
                    ("PRODUCT_GROUP_STATUS", r.value["status"].clone()),
                ];
                if level == Level::ProductGroup {
                    out.push(with(&gid, items.iter().map(|i| format!("item:{i}")).collect(), attrs));
                } else {
                    for i in items {
                        let mut a = attrs.clone();
                        a.push(("PRODUCT_GROUP_ID", json!(gid)));
                        a.push(("PRODUCT_ITEM_NAME", json!(format!("Product {i}"))));
                        a.push(("PRODUCT_ITEM_CURRENCY", acct["currency"].clone()));
                        out.push(with(&i, vec![format!("item:{i}")], a));
                    }
                }
            }
            out
        }
    };
    out.sort_by(|a, b| (a.id.len(), &a.id).cmp(&(b.id.len(), &b.id)));
    out
}

/// The rows of `entities` over `buckets`: the id column, `DATE` (and
/// `HOUR`), the attributes asked for, and the metrics; with a targeting
/// slice, only that slice of every leaf.
pub fn rows(
    leaves: &Leaves,
    entities: &[Reported],
    id_column: &str,
    buckets: &[Bucket],
    columns: &[String],
    slice: Option<&Slice>,
    ids_as_numbers: bool,
) -> Vec<(String, Map<String, Value>)> {
    let keys: Vec<String> = columns.iter().flat_map(|c| analytics::keys(c)).collect();
    let id_value = |id: &str| {
        if ids_as_numbers { id.parse::<u64>().map_or_else(|_| json!(id), |n| json!(n)) } else { json!(id) }
    };
    let mut out = Vec::new();
    for e in entities {
        for b in buckets {
            let sums: Sums = leaves.sums(&e.leaves, &b.days, &keys, slice, b.hour);
            let mut row = Map::new();
            row.insert(id_column.to_owned(), id_value(&e.id));
            if let Some(date) = &b.date {
                row.insert("DATE".into(), json!(date));
            }
            if let Some(h) = b.hour {
                row.insert("HOUR".into(), json!(h));
            }
            for c in columns {
                if c == id_column || c == "DATE" {
                    continue;
                }
                match analytics::kind(c) {
                    analytics::Kind::Attribute => {
                        let v = e.attributes.get(c).cloned().unwrap_or(Value::Null);
                        let v = match (c.ends_with("_ID"), &v) {
                            (true, Value::String(s)) => id_value(s),
                            _ => v,
                        };
                        row.insert(c.clone(), v);
                    }
                    _ => {
                        if let Some(v) = sums.value(c) {
                            row.insert(c.clone(), v);
                        }
                    }
                }
            }
            out.push((e.id.clone(), row));
        }
    }
    out
}

/// Longest range of a synchronous analytics request, in days.
const SYNC_MAX_DAYS: i64 = 90;

/// The values of a list parameter (repeated keys and commas alike), each
/// once, in the order given.
fn list_param(call: &Call<'_>, name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in call.query.iter().filter(|(k, _)| k == name).flat_map(|(_, v)| v.split(',')).map(str::trim) {
        if !v.is_empty() && !out.iter().any(|o| o == v) {
            out.push(v.to_owned());
        }
    }
    out
}

/// The most values one analytics answer holds (rows × columns); a larger
/// request is refused rather than built.
pub const MAX_SYNC_CELLS: usize = 250_000;

/// How many values rows of `entities` × `buckets` × `slices` × `columns`
/// hold, if that is within `max`.
pub fn cells_within(entities: usize, buckets: usize, slices: usize, columns: usize, max: usize) -> Result<(), String> {
    let cells = entities.saturating_mul(buckets).saturating_mul(slices.max(1)).saturating_mul(columns.max(1));
    if cells > max {
        return Err(format!(
            "this asks for {cells} values ({entities} entities × {buckets} periods × {} breakdowns × {columns} columns); at most {max}: narrow the range, the granularity, the breakdowns or the columns",
            slices.max(1)
        ));
    }
    Ok(())
}

fn sync_analytics(call: &Call<'_>, targeting: bool) -> Response<Body> {
    let account_id = call.path_param("ad_account_id").to_owned();
    let d = call.shared.data();
    if account(&d, &account_id).is_none() {
        return not_found("Ad account");
    }
    let (start, end) = match analytics::check_range(
        call.param("start_date").unwrap_or_default(),
        call.param("end_date").unwrap_or_default(),
        SYNC_MAX_DAYS,
    ) {
        Ok(r) => r,
        Err(m) => return bad_request(&m),
    };
    let (level, ids_param) = match call.op.id.split('/').next().unwrap_or_default() {
        "ad_account" | "ad_account_targeting_analytics" => (Level::Advertiser, None),
        "campaigns" | "campaign_targeting_analytics" => (Level::Campaign, Some("campaign_ids")),
        "ad_groups" | "ad_groups_targeting_analytics" => (Level::AdGroup, Some("ad_group_ids")),
        "ads" | "ad_targeting_analytics" => (Level::Ad, Some("ad_ids")),
        "ad_pins" => (Level::Pin, Some("pin_ids")),
        _ => (Level::ProductGroup, Some("product_group_ids")),
    };
    let mut all = entities(&d, &account_id, level);
    if let Some(p) = ids_param {
        let mut wanted = list_param(call, p);
        wanted.sort();
        wanted.dedup();
        if let Some(bad) = wanted.iter().find(|w| !w.bytes().all(|b| b.is_ascii_digit())) {
            return bad_request(&format!("{p}: `{}` is not an id of digits", bad.escape_debug()));
        }
        if let Some(unknown) = wanted.iter().find(|w| level != Level::Pin && !all.iter().any(|e| &e.id == *w)) {
            return bad_request(&format!("{p}: {unknown} is not in this ad account"));
        }
        // A Pin that no ad promotes has no ad metrics: zeros.
        for w in &wanted {
            if !all.iter().any(|e| &e.id == w) {
                all.push(Reported { id: w.clone(), leaves: Vec::new(), attributes: Map::new() });
            }
        }
        all.retain(|e| wanted.contains(&e.id));
    }
    let columns = list_param(call, "columns");
    let granularity = call.param("granularity").unwrap_or("DAY");
    let targeting_types = if targeting { list_param(call, "targeting_types") } else { Vec::new() };
    let slices: usize = targeting_types.iter().map(|t| analytics::targeting_values(t).len()).sum();
    let periods = if granularity == "HOUR" { 24 * (end - start + 1) } else { end - start + 1 };
    if let Err(m) =
        cells_within(all.len(), usize::try_from(periods).unwrap_or(usize::MAX), slices, columns.len(), MAX_SYNC_CELLS)
    {
        return bad_request(&m);
    }
    let buckets = analytics::buckets(start, end, granularity);
    let leaves = Leaves::new(d.seed);
    let id_column = level.id_column(false);
    if !targeting {
        let rows: Vec<Value> = rows(&leaves, &all, id_column, &buckets, &columns, None, false)
            .into_iter()
            .map(|(_, r)| Value::Object(r))
            .collect();
        return json(StatusCode::OK, &Value::Array(rows));
    }
    let mut data = Vec::new();
    for t in targeting_types {
        let values = analytics::targeting_values(&t);
        for index in 0..values.len() {
            let slice = Slice { targeting_type: t.clone(), values: values.clone(), index };
            for (_, metrics) in rows(&leaves, &all, id_column, &buckets, &columns, Some(&slice), false) {
                data.push(json!({"targeting_type": t, "targeting_value": slice.value(), "metrics": metrics}));
            }
        }
    }
    json(StatusCode::OK, &json!({"data": data}))
}

/// Organic analytics: a Pin's own, several Pins', or the user's (the sum
/// of all their Pins).
fn organic(call: &Call<'_>) -> Response<Body> {
    let d = call.shared.data();
    let start = call.param("start_date").unwrap_or_default();
    let end = call.param("end_date").unwrap_or_default();
    let (s, e) = match analytics::check_range(start, end, SYNC_MAX_DAYS) {
        Ok(r) => r,
        Err(m) => return bad_request(&m),
    };
    let default_metrics = ["IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK", "ENGAGEMENT", "ENGAGEMENT_RATE"];
    let mut names = list_param(call, "metric_types");
    if names.is_empty() {
        names = default_metrics.iter().map(|m| (*m).to_owned()).collect();
    }
    let leaves = Leaves::new(d.seed);
    let visible = |p: &Value| {
        !d.board_is_secret(p["board_id"].as_str().unwrap_or_default()) || call.has_scope("pins:read_secret")
    };
    match call.op.id {
        "pins/analytics" => {
            let id = call.path_param("pin_id");
            if !d.pins.get(id).is_some_and(&visible) {
                return not_found("Pin");
            }
            let all = analytics::organic(&leaves, &[format!("pin:{id}")], s, e, &names);
            json(StatusCode::OK, &json!({"all": all}))
        }
        "multi_pins/analytics" => {
            let mut out = Map::new();
            for id in list_param(call, "pin_ids") {
                if !d.pins.get(&id).is_some_and(&visible) {
                    return not_found("Pin");
                }
                let all = analytics::organic(&leaves, &[format!("pin:{id}")], s, e, &names);
                out.insert(id, json!({"all": all}));
            }
            json(StatusCode::OK, &Value::Object(out))
        }
        "user_account/analytics/top_pins" | "user_account/analytics/top_video_pins" => {
            // The user's Pins by their total of `sort_by` over the range,
            // the same totals `pins/analytics` gives.
            let sort_by = call.param("sort_by").unwrap_or("IMPRESSION").to_owned();
            if !names.contains(&sort_by) {
                names.push(sort_by.clone());
            }
            let video = call.op.id.ends_with("top_video_pins");
            let mut ranked: Vec<(f64, String, Value)> = d
                .pins
                .iter()
                .filter(|(_, p)| visible(p))
                .filter(|(_, p)| !video || p["media"]["media_type"] == "video")
                .map(|(id, _)| {
                    let all = analytics::organic(&leaves, &[format!("pin:{id}")], s, e, &names);
                    let summary = all["summary_metrics"].clone();
                    (summary[&sort_by].as_f64().unwrap_or(0.0), id.clone(), summary)
                })
                .collect();
            ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            let n = call.param("num_of_pins").and_then(|n| n.parse().ok()).unwrap_or(10);
            // Data runs to the end of the range, in milliseconds.
            let latest_ms = (e + 1).saturating_mul(86_400_000) as f64;
            let pins: Vec<Value> = ranked
                .into_iter()
                .take(n)
                .map(|(_, id, metrics)| json!({"pin_id": id, "metrics": metrics, "data_status": {}}))
                .collect();
            json(
                StatusCode::OK,
                &json!({"pins": pins, "sort_by": sort_by, "date_availability": {"is_realtime": false, "latest_available_timestamp": latest_ms}}),
            )
        }
        _ => {
            let pins: Vec<String> = d.pins.keys().map(|id| format!("pin:{id}")).collect();
            let all = analytics::organic(&leaves, &pins, s, e, &names);
            json(StatusCode::OK, &json!({"all": all}))
        }
    }
}

/// Whether the call may write to the ad account (its role allows it).
pub fn can_write(d: &Data, account_id: &str) -> bool {
    account(d, account_id).is_some_and(|r| {
        r.value["permissions"]
            .as_array()
            .is_none_or(|p| p.iter().any(|x| matches!(x.as_str(), Some("OWNER" | "ADMIN" | "CAMPAIGN_MANAGER"))))
    })
}

/// Refuses a write to an ad account the user may only read.
pub fn refuse_write(d: &Data, account_id: &str) -> Option<Response<Body>> {
    (!can_write(d, account_id)).then(|| forbidden("Your role on this ad account does not allow changes."))
}
