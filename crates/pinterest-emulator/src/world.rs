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

/// `(path parameter, list whose records provide it, field holding it)`.
const PROVIDERS: &[(&str, &str, &str)] = &[
    ("ad_account_id", "ad_accounts/list", "id"),
    ("asset_id", "ad_accounts/list", "id"),
    ("feed_id", "feeds/list", "id"),
    ("processing_result_id", "feed_processing_results/list", "id"),
    ("product_group_id", "catalogs_product_groups/list", "id"),
    ("member_id", "get/business_members", "user.id"),
    ("partner_id", "get/business_partners", "user.id"),
];

/// The list whose records provide path parameter `param`, and the field of
/// the record that holds it.
fn provider(param: &str) -> Option<(&'static str, &'static str)> {
    PROVIDERS.iter().find(|(p, _, _)| *p == param).map(|(_, list, key)| (*list, *key))
}

/// `YYYY-MM-DD`.
fn is_date(s: &str) -> bool {
    crate::state::has_shape(s, "dddd-dd-dd")
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
        crate::ads::settle(d);
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
            // Records differ where lists are filtered: the third has the
            // schema's second status, and each its own month.
            if n == 2
                && let Some((_, values)) = examples::STATUS_VALUES.iter().find(|(s, _)| *s == item)
                && let Some(second) = values.get(1)
            {
                obj.insert("status".into(), json!(second));
            }
            for v in obj.values_mut() {
                if let Value::String(s) = v
                    && is_date(s)
                {
                    *s = format!("2025-{:02}-01", n % 12 + 1);
                }
            }
            // Ids other lists' paths take from this record (`user.id` of a member).
            for (_, _, key) in PROVIDERS.iter().filter(|(_, l, k)| *l == op.id && k.contains('.')) {
                if let Some((outer, inner)) = key.split_once('.')
                    && let Some(o) = obj.get_mut(outer).and_then(Value::as_object_mut)
                {
                    o.insert(inner.to_owned(), json!(d.id()));
                }
            }
            let mut scope = scope.clone();
            self.link(op, &mut scope, n, obj);
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
    /// campaign, an ad or keyword at an ad group and its campaign, a
    /// product group at a catalog and feed, a business asset at an ad
    /// account. Links the record's schema has no field for go into its
    /// hidden scope, where filters find them (a feed's catalog).
    fn link(
        &self,
        op: &OperationInfo,
        scope: &mut BTreeMap<String, String>,
        n: usize,
        obj: &mut serde_json::Map<String, Value>,
    ) {
        let account = scope.get("ad_account_id").cloned();
        let pick = |list: &str| -> Option<Value> {
            let recs: Vec<&Rec> =
                self.lists.get(list)?.iter().filter(|r| r.scope.get("ad_account_id") == account.as_ref()).collect();
            recs.get(n % recs.len().max(1)).map(|r| r.value.clone())
        };
        let group = (op.id != "ad_groups/list").then(|| pick("ad_groups/list")).flatten();
        if let Some(g) = group.as_ref().filter(|_| obj.contains_key("ad_group_id") || op.id == "keywords/get") {
            let (gid, cid) = (text(&g["id"]).unwrap_or_default(), text(&g["campaign_id"]).unwrap_or_default());
            if obj.contains_key("ad_group_id") {
                obj.insert("ad_group_id".into(), json!(gid));
            }
            if obj.contains_key("campaign_id") {
                obj.insert("campaign_id".into(), json!(cid));
            }
            if op.id == "keywords/get" {
                // A keyword's parent is an ad group.
                obj.insert("parent_id".into(), json!(gid));
                obj.insert("parent_type".into(), json!("ad_group"));
            }
            scope.insert("ad_group_id".into(), gid);
            scope.insert("campaign_id".into(), cid);
        } else if op.id != "campaigns/list"
            && obj.contains_key("campaign_id")
            && let Some(c) = pick("campaigns/list")
        {
            obj.insert("campaign_id".into(), c["id"].clone());
        }
        for (key, list) in
            [("catalog_id", "catalogs/list"), ("feed_id", "feeds/list"), ("asset_id", "ad_accounts/list")]
        {
            if scope.contains_key(key) || op.id == list {
                continue;
            }
            let Some(r) = pick(list) else { continue };
            let id = text(&r["id"]).unwrap_or_default();
            if obj.get(key).is_some_and(Value::is_string) {
                obj.insert(key.into(), json!(id));
            }
            if key == "catalog_id" && op.id == "feeds/list" {
                scope.insert(key.into(), id);
            }
        }
        if obj.contains_key("advertiser_id")
            && let Some(a) = &account
        {
            obj.insert("advertiser_id".into(), json!(a));
        }
    }
}

/// What a list's query asks of its records.
enum Filter {
    /// `field` is one of `values` (repeated keys and commas alike).
    OneOf(String, Vec<String>),
    /// The date in `field` is on or after the value.
    From(String, String),
    /// The date in `field` is on or before the value.
    Until(String, String),
}

/// Query parameters that shape the page, not the records.
const NOT_FILTERS: &[&str] = &["bookmark", "page_size", "order", "sort", "include_shared_accounts", "ad_account_id"];

/// The filters of a list request: `campaign_ids` compares `campaign_id`,
/// `ad_ids` on the ads list and `label_ids` on the labels list compare
/// `id`, `entity_statuses` compares `status`, `start_due_date` and
/// `end_due_date` bound a record's `…due_date`, and any other parameter
/// compares the field of its own name.
fn filters(call: &Call<'_>, own: Option<&str>) -> Vec<Filter> {
    let mut values: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (k, v) in &call.query {
        if NOT_FILTERS.contains(&k.as_str()) || call.path.contains_key(k.as_str()) {
            continue;
        }
        values.entry(k.as_str()).or_default().extend(v.split(',').map(str::to_owned));
    }
    let kind = call.op.id.split('/').find(|part| part.ends_with('s')).unwrap_or_default();
    values
        .into_iter()
        .map(|(k, v)| {
            if let Some(rest) = k.strip_prefix("start_") {
                return Filter::From(rest.to_owned(), v.into_iter().next().unwrap_or_default());
            }
            if let Some(rest) = k.strip_prefix("end_") {
                return Filter::Until(rest.to_owned(), v.into_iter().next().unwrap_or_default());
            }
            let field = if matches!(k, "entity_statuses" | "label_entity_statuses") {
                "status".to_owned()
            } else if let Some(stem) = k.strip_suffix("_ids") {
                let single = format!("{stem}_id");
                if own == Some(single.as_str()) || kind.strip_suffix('s').is_some_and(|k| k.ends_with(stem)) {
                    "id".to_owned()
                } else {
                    single
                }
            } else if let Some(stem) = k.strip_suffix("_types") {
                format!("{stem}_type")
            } else {
                k.to_owned()
            };
            Filter::OneOf(field, v)
        })
        .collect()
}

impl Filter {
    /// Whether `r` passes. A filter on a field the record has neither in
    /// its JSON nor among its links does not apply to it.
    fn admits(&self, r: &Rec) -> bool {
        let lookup = |f: &str| field(&r.value, f).and_then(text).or_else(|| r.scope.get(f).cloned());
        match self {
            Filter::OneOf(f, values) => lookup(f).is_none_or(|have| values.contains(&have)),
            Filter::From(f, date) | Filter::Until(f, date) => {
                let suffix = format!("_{f}");
                let have = r
                    .value
                    .as_object()
                    .and_then(|o| o.iter().find(|(k, _)| *k == f || k.ends_with(&suffix)))
                    .and_then(|(_, v)| v.as_str());
                match (self, have) {
                    (_, None) => true,
                    (Filter::From(..), Some(h)) => h >= date.as_str(),
                    (_, Some(h)) => h <= date.as_str(),
                }
            }
        }
    }
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
    let filters = filters(call, own);
    let mut items: Vec<Value> = recs
        .iter()
        .filter(|r| in_scope(call, r))
        .filter(|r| shared_too || !r.scope.contains_key("shared"))
        .filter(|r| filters.iter().all(|f| f.admits(r)))
        .map(|r| r.value.clone())
        .collect();
    if call.param("order") == Some("DESCENDING") {
        items.reverse();
    }
    let scope: Vec<String> = call.path.values().cloned().collect();
    crate::ops::page(call, items, &format!("{}-{}", call.op.id, scope.join("-")))
}
