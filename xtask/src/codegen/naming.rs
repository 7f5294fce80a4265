//! What operations are called in Rust.
//!
//! One scheme everywhere: an operation is reached as `client.<tag>().<method>(..)`
//! and its type is `ops::<tag>::<Tag><Method>` (`pins/get` is
//! `client.pins().get(..)`, type `PinsGet`). Method names are verb first
//! (`list`, `get`, `create`, `update`, `delete`, `list_sections`,
//! `get_analytics`) and never repeat the tag they are called on.
//!
//! Pinterest's operation ids do not follow one pattern (`pins/get`,
//! `get/invites`, `delete_partner_asset_access_handler_impl`,
//! `integrations_commerce/del`), so every name of the spec is chosen here, by
//! hand. An operation the table does not know gets a name derived from its
//! id; when that name looks wrong (it repeats the tag or carries an
//! implementation word), the generator stops and asks for an entry.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};

use super::names;

/// Operation id → method name on the tag's handle.
pub const OPERATION_NAMES: &[(&str, &str)] = &[
    // ad_accounts
    ("ad_account/analytics", "get_analytics"),
    ("ad_account_targeting_analytics/get", "get_targeting_analytics"),
    ("ad_accounts/create", "create"),
    ("ad_accounts/get", "get"),
    ("ad_accounts/list", "list"),
    ("analytics/create_conversion_product_report", "create_conversion_product_report"),
    ("analytics/create_mmm_report", "create_mmm_report"),
    ("analytics/create_report", "create_report"),
    ("analytics/create_template_report", "create_template_report"),
    ("analytics/get_conversion_product_report", "get_conversion_product_report"),
    ("analytics/get_mmm_report", "get_mmm_report"),
    ("analytics/get_report", "get_report"),
    ("sandbox/delete", "delete_sandbox"),
    ("templates/list", "list_templates"),
    // ad_groups
    ("ad_groups/analytics", "get_analytics"),
    ("ad_groups/audience_sizing", "get_audience_sizing"),
    ("ad_groups/create", "create"),
    ("ad_groups/get", "get"),
    ("ad_groups/list", "list"),
    ("ad_groups/update", "update"),
    ("ad_groups_bid_floor/get", "get_bid_floor"),
    ("ad_groups_targeting_analytics/get", "get_targeting_analytics"),
    // ads
    ("ad_previews/create", "create_preview"),
    ("ad_targeting_analytics/get", "get_targeting_analytics"),
    ("ads/analytics", "get_analytics"),
    ("ads/create", "create"),
    ("ads/get", "get"),
    ("ads/list", "list"),
    ("ads/update", "update"),
    // advanced_auction
    ("advanced_auction_items_get/post", "get_items"),
    ("advanced_auction_items_submit/post", "submit_items"),
    // audience_insights
    ("audience_insights/get", "get"),
    ("audience_insights_scope_and_type/get", "get_scope_and_type"),
    // audience_sharing
    ("ad_accounts_audiences_shared_accounts/list", "list_ad_account_recipients"),
    ("business_account_audiences_shared_accounts/list", "list_business_recipients"),
    ("shared_audiences_for_business/list", "list_for_business"),
    ("update_ad_account_to_ad_account_shared_audience", "update_ad_account_to_ad_account"),
    ("update_ad_account_to_business_shared_audience", "update_ad_account_to_business"),
    ("update_business_to_ad_account_shared_audience", "update_business_to_ad_account"),
    ("update_business_to_business_shared_audience", "update_business_to_business"),
    // audiences
    ("audiences/create", "create"),
    ("audiences/get", "get"),
    ("audiences/list", "list"),
    ("audiences/update", "update"),
    // billing
    ("ads_credit/redeem", "redeem_ads_credit"),
    ("ads_credits_discounts/get", "list_ads_credit_discounts"),
    ("billing_invoice_download/get", "download_invoice"),
    ("billing_invoices/get", "list_invoices"),
    ("billing_profiles/get", "list_profiles"),
    ("ssio_accounts/get", "get_ssio_accounts"),
    ("ssio_insertion_order/create", "create_ssio_insertion_order"),
    ("ssio_insertion_order/edit", "update_ssio_insertion_order"),
    ("ssio_insertion_orders_status/get_by_ad_account", "list_ssio_insertion_order_statuses"),
    ("ssio_insertion_orders_status/get_by_pin_order_id", "get_ssio_insertion_order_status"),
    ("ssio_order_lines/get_by_ad_account", "list_ssio_order_lines"),
    // boards
    ("board_sections/create", "create_section"),
    ("board_sections/delete", "delete_section"),
    ("board_sections/list", "list_sections"),
    ("board_sections/list_pins", "list_section_pins"),
    ("board_sections/update", "update_section"),
    ("boards/create", "create"),
    ("boards/delete", "delete"),
    ("boards/get", "get"),
    ("boards/list", "list"),
    ("boards/list_pins", "list_pins"),
    ("boards/update", "update"),
    // bulk
    ("bulk_download/create", "create_download"),
    ("bulk_request/get", "get_request"),
    ("bulk_upsert/create", "create_upsert"),
    // business_access_assets
    ("asset_group/create", "create_asset_groups"),
    ("asset_group/delete", "delete_asset_groups"),
    ("asset_group/update", "update_asset_groups"),
    ("business_asset_members/get", "list_asset_members"),
    ("business_asset_partners/get", "list_asset_partners"),
    ("business_assets/get", "list"),
    ("business_member_assets/get", "list_member_assets"),
    ("business_members_asset_access/delete", "delete_member_access"),
    ("business_members_asset_access/update", "update_member_access"),
    ("business_partner_asset_access/get", "list_partner_assets"),
    ("delete_partner_asset_access_handler_impl", "delete_partner_access"),
    ("update_partner_asset_access_handler_impl", "update_partner_access"),
    // business_access_invite
    ("asset_access_requests/create", "request_asset_access"),
    ("cancel_invites_or_requests", "cancel"),
    ("create_asset_invites", "create_asset_invites"),
    ("create_membership_or_partnership_invites", "create"),
    ("get/invites", "list"),
    ("respond_business_access_invites", "respond"),
    // business_access_relationships
    ("brand_accounts/create", "create_brand_accounts"),
    ("brand_accounts/update", "update_brand_account"),
    ("delete_business_membership", "delete_members"),
    ("delete_business_partners", "delete_partners"),
    ("get/business_employers", "list_employers"),
    ("get/business_members", "list_members"),
    ("get/business_partners", "list_partners"),
    ("system_user/update", "update_system_user"),
    ("update/business_memberships", "update_members"),
    // campaigns
    ("ad_pins/analytics", "get_ad_pin_analytics"),
    ("campaign_targeting_analytics/get", "get_targeting_analytics"),
    ("campaigns/analytics", "get_analytics"),
    ("campaigns/create", "create"),
    ("campaigns/get", "get"),
    ("campaigns/list", "list"),
    ("campaigns/update", "update"),
    // catalog_feeds
    ("feed_processing_results/list", "list_processing_results"),
    ("feeds/create", "create"),
    ("feeds/delete", "delete"),
    ("feeds/get", "get"),
    ("feeds/ingest", "ingest"),
    ("feeds/list", "list"),
    ("feeds/update", "update"),
    ("items_issues/list", "list_item_issues"),
    // catalog_items
    ("items/post", "get_by_ids"),
    ("items_batch/get", "get_batch"),
    ("items_batch/post", "create_batch"),
    // catalog_product_groups
    ("catalogs_product_group_pins/list", "list_products"),
    ("catalogs_product_groups/create", "create"),
    ("catalogs_product_groups/create_many", "create_many"),
    ("catalogs_product_groups/delete", "delete"),
    ("catalogs_product_groups/delete_many", "delete_many"),
    ("catalogs_product_groups/get", "get"),
    ("catalogs_product_groups/list", "list"),
    ("catalogs_product_groups/product_counts_get", "get_product_counts"),
    ("catalogs_product_groups/update", "update"),
    ("products_by_product_group_filter/list", "list_products_by_filter"),
    // catalog_reports
    ("reports/create", "create"),
    ("reports/get", "get"),
    ("reports/stats", "get_stats"),
    // catalogs
    ("catalogs/available_filter_values", "get_available_filter_values"),
    ("catalogs/create", "create"),
    ("catalogs/list", "list"),
    // conversion_eqs
    ("conversion_eqs/list", "list"),
    // conversion_events
    ("events/create", "create"),
    // conversion_tags
    ("conversion_tags/create", "create"),
    ("conversion_tags/get", "get"),
    ("conversion_tags/list", "list"),
    ("ocpm_eligible_conversion_tags/get", "get_ocpm_eligible"),
    ("page_visit_conversion_tags/get", "list_page_visit"),
    // conversions
    ("advertiser_defined_events/get", "list_advertiser_defined_events"),
    // customer_list_uploads
    ("customer_list_uploads/create", "create"),
    ("customer_list_uploads/get", "get"),
    ("customer_list_uploads/run", "run"),
    // customer_lists
    ("customer_lists/create", "create"),
    ("customer_lists/get", "get"),
    ("customer_lists/list", "list"),
    ("customer_lists/update", "update"),
    // integrations
    ("integrations/get_by_id", "get"),
    ("integrations/get_list", "list"),
    ("integrations_commerce/del", "delete_commerce"),
    ("integrations_commerce/get", "get_commerce"),
    ("integrations_commerce/patch", "update_commerce"),
    ("integrations_commerce/post", "create_commerce"),
    ("integrations_logs/post", "create_logs"),
    // keywords
    ("country_keywords_metrics/get", "get_country_metrics"),
    ("keywords/create", "create"),
    ("keywords/get", "list"),
    ("keywords/update", "update"),
    ("trending_keywords/list", "list_trending"),
    // labels
    ("labels/create", "create"),
    ("labels/list", "list"),
    ("labels/update", "update"),
    // lead_ads
    ("ad_accounts_subscriptions/del_by_id", "delete_subscription"),
    ("ad_accounts_subscriptions/get_by_id", "get_subscription"),
    ("ad_accounts_subscriptions/get_list", "list_subscriptions"),
    ("ad_accounts_subscriptions/post", "create_subscription"),
    // lead_forms
    ("lead_form/get", "get"),
    ("lead_form_test/create", "create_test"),
    ("lead_forms/create", "create"),
    ("lead_forms/list", "list"),
    ("lead_forms/update", "update"),
    // leads_export
    ("leads_export/create", "create"),
    ("leads_export/get", "get"),
    // media
    ("media/create", "create"),
    ("media/get", "get"),
    ("media/list", "list"),
    // msot_events
    ("msot_events/create", "create"),
    // notification
    ("notification/post", "create"),
    // oauth
    ("oauth/conversion_token", "create_conversion_token"),
    ("oauth/token", "create_token"),
    ("token/revoke", "revoke_token"),
    // order_lines
    ("order_lines/get", "get"),
    ("order_lines/list", "list"),
    // pins
    ("multi_pins/analytics", "get_multi_analytics"),
    ("pins/analytics", "get_analytics"),
    ("pins/create", "create"),
    ("pins/delete", "delete"),
    ("pins/get", "get"),
    ("pins/list", "list"),
    ("pins/save", "save"),
    ("pins/update", "update"),
    // product_categories
    ("trends_featured_topics/list", "list_featured_topics"),
    ("trends_product_categories_details/list", "list_details"),
    ("trends_product_categories_trending/list", "list_trending"),
    // product_group_promotions
    ("product_group_promotions/create", "create"),
    ("product_group_promotions/get", "get"),
    ("product_group_promotions/list", "list"),
    ("product_group_promotions/update", "update"),
    ("product_groups/analytics", "get_product_group_analytics"),
    // promotions
    ("promotions/create", "create"),
    ("promotions/delete", "delete"),
    ("promotions/get", "get"),
    ("promotions/list", "list"),
    ("promotions/update", "update"),
    // resources
    ("ad_account_countries/get", "list_ad_account_countries"),
    ("delivery_metrics/get", "list_delivery_metrics"),
    ("interest_targeting_options/get", "get_interest_targeting_options"),
    ("lead_form_questions/get", "list_lead_form_questions"),
    ("metrics_ready_state/get", "get_metrics_ready_state"),
    ("targeting_options/get", "get_targeting_options"),
    // search
    ("search_partner_pins", "partner_pins"),
    ("search_user_boards/get", "boards"),
    ("search_user_pins/list", "pins"),
    // targeting_template
    ("targeting_template/create", "create"),
    ("targeting_template/list", "list"),
    ("targeting_template/update", "update"),
    // terms
    ("terms_related/list", "list_related"),
    ("terms_suggested/list", "list_suggested"),
    // terms_of_service
    ("terms_of_service/get", "get"),
    // user_account
    ("boards_user_follows/list", "list_followed_boards"),
    ("follow_user/update", "follow_user"),
    ("followers/list", "list_followers"),
    ("linked_business_accounts/get", "list_linked_businesses"),
    ("unverify_website/delete", "unverify_website"),
    ("user_account/analytics", "get_analytics"),
    ("user_account/analytics/top_pins", "get_top_pins"),
    ("user_account/analytics/top_video_pins", "get_top_video_pins"),
    ("user_account/followed_interests", "list_followed_interests"),
    ("user_account/get", "get"),
    ("user_following/get", "list_following"),
    ("user_websites/get", "list_websites"),
    ("verify_website/update", "verify_website"),
    ("website_verification/get", "get_website_verification"),
];

/// Words that describe the server's code or the HTTP verb, not the operation.
const IMPLEMENTATION_WORDS: &[&str] = &["handler", "impl", "del", "post", "patch", "put", "edit", "by", "id"];

/// Words that mean nothing on their own in a method name.
const FILLER_WORDS: &[&str] = &["v5", "api"];

/// The name the generator derives for an operation the table lacks: the
/// id in snake_case, without a leading tag (or its singular).
fn derive(id: &str, tag: &str) -> String {
    let raw = names::snake(&id.replace('/', "_"));
    let singular = tag.strip_suffix('s').unwrap_or(tag);
    for prefix in [tag, singular] {
        if let Some(rest) = raw.strip_prefix(&format!("{prefix}_"))
            && !rest.is_empty()
        {
            return rest.to_owned();
        }
    }
    raw
}

/// The tag's words in singular and plural (`ad_accounts` → ad, ads,
/// account, accounts).
fn tag_words(tag: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for w in names::words(tag) {
        let w = w.to_ascii_lowercase();
        let singular = w.strip_suffix('s').unwrap_or(&w).to_owned();
        out.insert(format!("{singular}s"));
        out.insert(singular);
        out.insert(w);
    }
    out
}

/// Why `method` is not an acceptable name on the handle of `tag`, if it is not.
pub fn problem(method: &str, tag: &str) -> Option<String> {
    let words: Vec<&str> = method.split('_').collect();
    if let Some(w) = words.iter().find(|w| IMPLEMENTATION_WORDS.contains(w) || FILLER_WORDS.contains(w)) {
        return Some(format!("it carries the word `{w}`"));
    }
    // A multi-word tag is repeated by two of its words in a row
    // (`catalogs_product_groups_list` on `catalog_product_groups`); a
    // one-word tag by that word (`pins_list` on `pins`). One shared word is
    // fine: `list_pins` on `boards`, `list_asset_members` on `business_access_assets`.
    let tag_words = tag_words(tag);
    let run = if names::words(tag).len() >= 2 { 2 } else { 1 };
    if words.windows(run).any(|win| win.iter().all(|w| tag_words.contains(*w))) {
        return Some(format!("it repeats the tag `{tag}`"));
    }
    if !names::snake(method).eq(method) {
        return Some("it is not snake_case".into());
    }
    None
}

/// The method name of every operation, by id: from the table, or derived
/// when the derived name passes [`problem`]. Fails on names that need an
/// entry and on duplicates within a tag.
pub fn method_names(ops: &[(String, String)]) -> Result<BTreeMap<String, String>> {
    let table: BTreeMap<&str, &str> = OPERATION_NAMES.iter().copied().collect();
    let mut out = BTreeMap::new();
    let mut errors = Vec::new();
    let mut per_tag: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (id, tag) in ops {
        let name = match table.get(id.as_str()) {
            Some(n) => (*n).to_owned(),
            None => {
                let derived = derive(id, tag);
                if let Some(why) = problem(&derived, tag) {
                    errors.push(format!(
                        "operation `{id}` (tag `{tag}`) would be `{derived}`, but {why}: add its name to OPERATION_NAMES in xtask/src/codegen/naming.rs"
                    ));
                    continue;
                }
                derived
            }
        };
        if names::is_keyword(&name) || name == "new" {
            errors.push(format!("operation `{id}`: `{name}` cannot be a method name"));
        }
        if !per_tag.entry(tag.as_str()).or_default().insert(name.clone()) {
            errors.push(format!("two operations of tag `{tag}` are both called `{name}`"));
        }
        out.insert(id.clone(), name);
    }
    if !errors.is_empty() {
        bail!("operation names:\n  {}", errors.join("\n  "));
    }
    Ok(out)
}

/// Table entries for operations the spec does not have (checked when
/// generating from the real spec, so that the table never goes stale).
pub fn stale_entries<'a>(ids: impl IntoIterator<Item = &'a str>) -> Vec<&'static str> {
    let ids: BTreeSet<&str> = ids.into_iter().collect();
    OPERATION_NAMES.iter().map(|(id, _)| *id).filter(|id| !ids.contains(id)).collect()
}

/// The type of an operation: its tag and method in CamelCase (`PinsGet`).
pub fn type_name(tag: &str, method: &str) -> String {
    names::type_name(&names::camel(&format!("{tag}_{method}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_pass_the_rules_of_derived_ones() {
        // The table is also held to the scheme (a few names legitimately
        // share a word with their tag).
        for (id, name) in OPERATION_NAMES {
            assert!(!name.contains("handler") && !name.contains("impl"), "{id}: {name}");
            assert_eq!(names::snake(name), *name, "{id}");
        }
    }

    #[test]
    fn awkward_derived_names_are_refused() {
        assert!(problem("delete_partner_asset_access_handler_impl", "business_access_assets").is_some());
        assert!(problem("catalogs_product_groups_create_many", "catalog_product_groups").is_some());
        assert!(problem("commerce_del", "integrations").is_some());
        assert!(problem("pins_list", "pins").is_some());
        assert_eq!(problem("list_pins", "boards"), None);
        assert_eq!(problem("get_analytics", "pins"), None);
        assert_eq!(problem("list_sections", "boards"), None);
    }

    #[test]
    fn unknown_operations_are_derived_or_refused() {
        let ops =
            vec![("pins/get".to_owned(), "pins".to_owned()), ("widgets/frobnicate".to_owned(), "widgets".to_owned())];
        let names = method_names(&ops).unwrap();
        assert_eq!(names["widgets/frobnicate"], "frobnicate", "a clean derived name needs no entry");
        assert_eq!(names["pins/get"], "get");
        assert!(stale_entries(["pins/get"]).contains(&"boards/list"));
        let ops = vec![("widgets_thing/handler_impl".to_owned(), "widgets".to_owned())];
        let err = method_names(&ops).unwrap_err().to_string();
        assert!(err.contains("add its name to OPERATION_NAMES"), "{err}");
    }

    #[test]
    fn type_names_are_tag_and_method() {
        assert_eq!(type_name("pins", "get"), "PinsGet");
        assert_eq!(type_name("catalog_product_groups", "create_many"), "CatalogProductGroupsCreateMany");
        assert_eq!(type_name("user_account", "get_top_pins"), "UserAccountGetTopPins");
    }
}
