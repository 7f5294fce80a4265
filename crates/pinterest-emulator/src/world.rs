//! The seeded world beyond boards and Pins: ad accounts and everything
//! below them (campaigns, ad groups, ads, keywords, audiences, customer
//! lists, conversion tags, …), businesses, catalogs, feeds and product
//! groups. Deterministic from `--seed`; served for reading.
//!
//! Every list operation of the spec whose items have a schema gets records,
//! made from the complete example of that schema with their own ids,
//! names and parents. A list under path parameters (an ad account's
//! campaigns) is seeded once per parent, and its parent comes from the list
//! that provides that parameter (`ad_account_id` from the ad accounts). The
//! get operation beside a list (`…/campaigns/{campaign_id}`) reads its
//! records. Lists page with bookmarks and honour their filters: ids
//! (`campaign_ids`, `ad_group_ids`, `ad_ids`, `feed_id`, …) and entity
//! statuses.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::body::Body;
use http::{Response, StatusCode};
use pinterest_sdk::registry::{self, OperationInfo, ParamLocation};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::api::{Call, json, not_found};
use crate::generated::{self, examples};
use crate::state::Data;

/// Lists served by the stateful handlers in `ops.rs` (boards, Pins, the
/// user's followers…), which the world leaves alone.
const STATEFUL_LISTS: &[&str] = &[
    "boards/list",
    "boards/list_pins",
    "board_sections/list",
    "board_sections/list_pins",
    "media/list",
    "pins/list",
    "search_user_boards/get",
    "search_user_pins/list",
    "followers/list",
    "user_following/get",
    "user_websites/get",
];

/// Lists seeded before the others, in this order: what records point at.
const SEED_FIRST: &[&str] =
    &["ad_accounts/list", "campaigns/list", "ad_groups/list", "ads/list", "catalogs/list", "feeds/list"];

/// Records per list and parent.
const PER_PARENT: usize = 3;

/// One seeded record: its parents (path parameters) and its JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rec {
    pub scope: BTreeMap<String, String>,
    pub value: Value,
}

/// The seeded collections, by list operation id.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct World {
    pub lists: BTreeMap<String, Vec<Rec>>,
    /// The business the user belongs to (`/businesses/{business_id}/…`).
    pub business_id: String,
}

fn path_params(op: &OperationInfo) -> Vec<&'static str> {
    op.params.iter().filter(|p| p.location == ParamLocation::Path).map(|p| p.name).collect()
}

/// The get operation beside a list: same path plus `/{x}`; `x` is the
/// parameter that list provides.
fn getter(list: &OperationInfo) -> Option<(&'static OperationInfo, &'static str)> {
    registry::operations().iter().find_map(|op| {
        if op.method != "GET" {
            return None;
        }
        let rest = op.path.strip_prefix(list.path)?.strip_prefix("/{")?.strip_suffix('}')?;
        (!rest.contains('/')).then_some((op, rest))
    })
}

/// For each list with a get beside it: `(list id, get id, id parameter)`,
/// found once.
fn getters() -> &'static [(&'static str, &'static str, &'static str)] {
    static GETTERS: OnceLock<Vec<(&'static str, &'static str, &'static str)>> = OnceLock::new();
    GETTERS.get_or_init(|| {
        examples::LIST_ITEMS
            .iter()
            .filter_map(|(id, _)| {
                let (g, param) = getter(registry::find(id)?)?;
                Some((*id, g.id, param))
            })
            .collect()
    })
}

/// The list whose records provide path parameter `param`, and the field of
/// the record that holds it.
fn provider(param: &str) -> Option<(&'static str, &'static str)> {
    Some(match param {
        "ad_account_id" => ("ad_accounts/list", "id"),
        "asset_id" => ("ad_accounts/list", "id"),
        "feed_id" => ("feeds/list", "id"),
        "processing_result_id" => ("feed_processing_results/list", "id"),
        "product_group_id" => ("catalogs_product_groups/list", "id"),
        "member_id" => ("get/business_members", "user.id"),
        "partner_id" => ("get/business_partners", "user.id"),
        _ => return None,
    })
}

fn field<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `ad_groups/list` → "Ad group".
fn kind_name(op_id: &str) -> String {
    let stem = op_id.split('/').next().unwrap_or(op_id).trim_end_matches('s').replace('_', " ");
    let mut c = stem.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

impl World {
    /// Seeds every list from the examples, parents before children.
    pub fn seed(d: &mut Data) {
        let mut world = World { business_id: d.id(), ..World::default() };
        let mut lists: Vec<(&'static OperationInfo, &'static str)> = examples::LIST_ITEMS
            .iter()
            .filter(|(id, _)| !STATEFUL_LISTS.contains(id))
            .filter_map(|(id, item)| Some((registry::find(id)?, *item)))
            .collect();
        // Parents before the records that point at them.
        let rank = |id: &str| SEED_FIRST.iter().position(|f| *f == id).unwrap_or(SEED_FIRST.len());
        lists.sort_by_key(|(op, _)| rank(op.id));
        let mut pending = lists;
        while !pending.is_empty() {
            let before = pending.len();
            let mut later = Vec::new();
            for (op, item) in pending {
                match world.parents(op, d) {
                    Some(parents) => {
                        for scope in parents {
                            world.add_records(d, op, item, scope);
                        }
                    }
                    None => later.push((op, item)),
                }
            }
            if later.len() == before {
                break; // What is left has a parent nothing provides.
            }
            pending = later;
        }
        d.world = world;
    }

    /// Every parent combination `op` is seeded under, once the lists that
    /// provide its path parameters are seeded; `None` before that.
    fn parents(&self, op: &OperationInfo, d: &Data) -> Option<Vec<BTreeMap<String, String>>> {
        let mut scopes = vec![BTreeMap::new()];
        for p in path_params(op) {
            let ids: Vec<(String, BTreeMap<String, String>)> = match p {
                "business_id" => vec![(self.business_id.clone(), BTreeMap::new())],
                "username" => vec![(d.user["username"].as_str().unwrap_or_default().to_owned(), BTreeMap::new())],
                _ => {
                    let (list, key) = provider(p)?;
                    if registry::find(list).is_some_and(|l| l.id == op.id) {
                        return None;
                    }
                    let recs = self.lists.get(list)?;
                    recs.iter().filter_map(|r| Some((text(field(&r.value, key)?)?, r.scope.clone()))).collect()
                }
            };
            let mut next = Vec::new();
            for scope in &scopes {
                for (id, parent_scope) in &ids {
                    // A child of a record keeps that record's own parents.
                    if parent_scope.iter().all(|(k, v)| scope.get(k).is_none_or(|s| s == v)) {
                        let mut s = scope.clone();
                        s.extend(parent_scope.clone());
                        s.insert(p.to_owned(), id.clone());
                        next.push(s);
                    }
                }
            }
            scopes = next;
        }
        Some(scopes)
    }

    fn add_records(&mut self, d: &mut Data, op: &OperationInfo, item: &str, scope: BTreeMap<String, String>) {
        let Some(template) = generated::schema(item) else { return };
        let count = if op.id == "ad_accounts/list" { 2 } else { PER_PARENT };
        let kind = kind_name(op.id);
        for n in 0..count {
            let mut v = template.clone();
            let Some(obj) = v.as_object_mut() else { continue };
            let id = d.id();
            // Its own id, in the example's type; a schema without one gets none.
            match obj.get("id") {
                Some(Value::Number(_)) => {
                    obj.insert("id".into(), json!(id.parse::<u64>().unwrap_or(0)));
                }
                Some(_) => {
                    obj.insert("id".into(), json!(id));
                }
                None => {}
            }
            if obj.get("name").is_some_and(Value::is_string) {
                obj.insert("name".into(), json!(format!("{kind} {}", n + 1)));
            }
            for (k, val) in &scope {
                if obj.contains_key(k) {
                    obj.insert(k.clone(), json!(val));
                }
            }
            self.link(op, &scope, n, obj);
            let mut scope = scope.clone();
            if op.id == "ad_accounts/list" && n == 1 {
                // The second ad account comes through business access.
                scope.insert("shared".into(), "true".into());
                if let Some(owner) = obj.get_mut("owner").and_then(Value::as_object_mut) {
                    owner.insert("username".into(), json!("emulator_business"));
                }
            } else if op.id == "ad_accounts/list"
                && let Some(owner) = obj.get_mut("owner").and_then(Value::as_object_mut)
            {
                owner.insert("username".into(), d.user["username"].clone());
                owner.insert("id".into(), d.user["id"].clone());
            }
            self.lists.entry(op.id.to_owned()).or_default().push(Rec { scope, value: v });
        }
    }

    /// Points a record at parents of the same ad account: an ad group at a
    /// campaign, an ad at an ad group and its campaign, a product group at
    /// a catalog and feed.
    fn link(
        &self,
        op: &OperationInfo,
        scope: &BTreeMap<String, String>,
        n: usize,
        obj: &mut serde_json::Map<String, Value>,
    ) {
        let pick = |list: &str| -> Option<&Value> {
            let recs: Vec<&Rec> = self
                .lists
                .get(list)?
                .iter()
                .filter(|r| r.scope.get("ad_account_id") == scope.get("ad_account_id"))
                .collect();
            recs.get(n % recs.len().max(1)).map(|r| &r.value)
        };
        if op.id != "ad_groups/list"
            && obj.contains_key("ad_group_id")
            && let Some(g) = pick("ad_groups/list")
        {
            obj.insert("ad_group_id".into(), g["id"].clone());
            if obj.contains_key("campaign_id") {
                obj.insert("campaign_id".into(), g["campaign_id"].clone());
            }
        } else if op.id != "campaigns/list"
            && obj.contains_key("campaign_id")
            && let Some(c) = pick("campaigns/list")
        {
            obj.insert("campaign_id".into(), c["id"].clone());
        }
        for (key, list) in [("catalog_id", "catalogs/list"), ("feed_id", "feeds/list")] {
            if !scope.contains_key(key)
                && obj.get(key).is_some_and(Value::is_string)
                && let Some(r) = pick(list)
            {
                obj.insert(key.into(), r["id"].clone());
            }
        }
        for key in ["advertiser_id"] {
            if obj.contains_key(key)
                && let Some(a) = scope.get("ad_account_id")
            {
                obj.insert(key.into(), json!(a));
            }
        }
    }
}

/// The field a filter parameter compares: `campaign_ids` → `campaign_id`,
/// `ad_ids` on the ads list → `id`, `entity_statuses` → `status`.
fn filter_field(param: &str, own: Option<&str>) -> Option<String> {
    if matches!(param, "entity_statuses" | "label_entity_statuses") {
        return Some("status".into());
    }
    let single = if let Some(stem) = param.strip_suffix("_ids") {
        format!("{stem}_id")
    } else if let Some(stem) = param.strip_suffix("_types") {
        format!("{stem}_type")
    } else if param.ends_with("_id") {
        param.to_owned()
    } else {
        return None;
    };
    if own == Some(single.as_str()) { Some("id".into()) } else { Some(single) }
}

/// Answers a list or get operation of the world, or `None`.
pub fn handle(call: &Call<'_>, d: &Data) -> Option<Response<Body>> {
    if let Some(recs) = d.world.lists.get(call.op.id) {
        return Some(list(call, recs));
    }
    if call.op.id == "linked_business_accounts/get" {
        let mut b = generated::schema("LinkedBusiness")?;
        b["id"] = json!(d.world.business_id);
        return Some(json(StatusCode::OK, &json!([b])));
    }
    // A get beside a seeded list.
    if call.op.method != "GET" {
        return None;
    }
    let (list_id, _, param) = getters().iter().find(|(_, g, _)| *g == call.op.id)?;
    let want = call.path_param(param);
    let found = d
        .world
        .lists
        .get(*list_id)?
        .iter()
        .find(|r| text(&r.value["id"]).as_deref() == Some(want) && in_scope(call, r));
    Some(match found {
        Some(r) => json(StatusCode::OK, &r.value),
        None => not_found(&kind_name(list_id)),
    })
}

fn in_scope(call: &Call<'_>, r: &Rec) -> bool {
    r.scope.iter().filter(|(k, _)| call.path.contains_key(k.as_str())).all(|(k, v)| call.path_param(k) == v)
}

fn list(call: &Call<'_>, recs: &[Rec]) -> Response<Body> {
    let own = getters().iter().find(|(l, _, _)| *l == call.op.id).map(|(_, _, p)| *p);
    // Only the ad accounts list leaves out accounts shared through business access.
    let shared_too = call.op.id != "ad_accounts/list" || call.param("include_shared_accounts") != Some("false");
    let mut items: Vec<Value> = recs
        .iter()
        .filter(|r| in_scope(call, r))
        .filter(|r| shared_too || !r.scope.contains_key("shared"))
        .filter(|r| {
            call.query.iter().all(|(k, v)| {
                let Some(f) = filter_field(k, own) else { return true };
                match field(&r.value, &f).and_then(text) {
                    Some(have) => v.split(',').any(|want| want == have),
                    // A record without the field: the filter does not apply.
                    None => !r.value.as_object().is_some_and(|o| o.contains_key(&f)),
                }
            })
        })
        .map(|r| r.value.clone())
        .collect();
    if call.param("order") == Some("DESCENDING") {
        items.reverse();
    }
    let scope: Vec<String> = call.path.values().cloned().collect();
    crate::ops::page(call, items, &format!("{}-{}", call.op.id, scope.join("-")))
}
