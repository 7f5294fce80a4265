//! Everything the emulator remembers: apps, the user's boards, sections,
//! Pins and media, and the OAuth server's codes and tokens. One value behind
//! one mutex; handlers are short. Serializable for `--state FILE`.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A registered OAuth app. Its `Debug` leaves the secret out.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct App {
    /// `client_id`.
    pub client_id: String,
    /// The app secret.
    pub client_secret: String,
    /// Shown on the consent page.
    pub name: String,
    /// Exact redirect URIs the app may use.
    pub redirect_uris: Vec<String>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("name", &self.name)
            .field("redirect_uris", &self.redirect_uris)
            .finish()
    }
}

impl App {
    /// The demo app: id `1234567890`, secret `emulator-secret`, redirect URIs
    /// `https://localhost/` and `http://localhost:8085/`.
    pub fn demo() -> App {
        App {
            client_id: crate::DEMO_CLIENT_ID.into(),
            client_secret: crate::DEMO_CLIENT_SECRET.into(),
            name: "Emulator demo app".into(),
            redirect_uris: vec!["https://localhost/".into(), "http://localhost:8085/".into()],
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessRec {
    pub app: String,
    pub scopes: Vec<String>,
    pub expires_at: u64,
    pub family: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshRec {
    pub app: String,
    pub scopes: Vec<String>,
    pub expires_at: u64,
    pub family: u64,
    pub spent: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeRec {
    pub app: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub expires_at: u64,
    pub challenge: Option<String>,
    pub used: bool,
    /// Tokens issued from this code (revoked if the code is replayed).
    pub family: Option<u64>,
}

/// A consent page shown and not answered yet.
#[derive(Clone, Serialize, Deserialize)]
pub struct ConsentRec {
    pub app: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub challenge: Option<String>,
}

/// Codes and tokens, keyed by their values: its `Debug` shows counts only.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Tokens {
    pub access: BTreeMap<String, AccessRec>,
    pub refresh: BTreeMap<String, RefreshRec>,
    pub codes: BTreeMap<String, CodeRec>,
    pub consents: BTreeMap<String, ConsentRec>,
    pub next_family: u64,
}

impl std::fmt::Debug for ConsentRec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsentRec")
            .field("app", &self.app)
            .field("redirect_uri", &self.redirect_uri)
            .field("scopes", &self.scopes)
            .field("state", &self.state.as_ref().map(|_| "[redacted]"))
            .field("pkce", &self.challenge.is_some())
            .finish()
    }
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("access", &self.access.len())
            .field("refresh", &self.refresh.len())
            .field("codes", &self.codes.len())
            .field("consents", &self.consents.len())
            .field("next_family", &self.next_family)
            .finish()
    }
}

impl Tokens {
    /// Revokes every token of a family.
    pub fn revoke_family(&mut self, family: u64) {
        self.access.retain(|_, a| a.family != Some(family));
        for r in self.refresh.values_mut().filter(|r| r.family == family) {
            r.spent = true;
        }
    }
}

/// An uploaded (or registered) media file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MediaRec {
    pub media_type: String,
    /// registered, processing, succeeded or failed.
    pub status: String,
    /// Status reads since the upload (processing moves on with them).
    pub polls: u32,
    pub uploaded: bool,
    /// The `x-amz-signature` issued with the upload URL: an upload must
    /// carry it. `None` (a state file from before signatures) takes no
    /// upload.
    #[serde(default)]
    pub upload_signature: Option<UploadSignature>,
}

/// The per-upload secret of a media upload. `Debug` prints `[redacted]`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UploadSignature(String);

impl UploadSignature {
    pub fn new(value: String) -> UploadSignature {
        UploadSignature(value)
    }

    /// The value, for the upload parameters of the registration answer.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `given` is this signature, in constant time.
    pub fn matches(&self, given: &[u8]) -> bool {
        use sha2::Digest as _;
        use subtle::ConstantTimeEq as _;
        let (want, got) = (sha2::Sha256::digest(self.0.as_bytes()), sha2::Sha256::digest(given));
        bool::from(want.as_slice().ct_eq(got.as_slice()))
    }
}

impl std::fmt::Debug for UploadSignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The whole state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Data {
    pub seed: Option<u64>,
    pub counter: u64,
    pub apps: Vec<App>,
    pub user: Value,
    pub boards: BTreeMap<String, Value>,
    pub sections: BTreeMap<String, Value>,
    pub pins: BTreeMap<String, Value>,
    pub media: BTreeMap<String, MediaRec>,
    pub followers: Vec<Value>,
    pub following: Vec<Value>,
    pub websites: Vec<Value>,
    pub tokens: Tokens,
    /// The state of the token generator, so seeded runs stay deterministic.
    pub rng_seed: u64,
    /// Ad accounts, catalogs, businesses and what is below them.
    #[serde(default)]
    pub world: crate::world::World,
    /// Async ads reports, by token.
    #[serde(default)]
    pub reports: BTreeMap<String, crate::reports::ReportRec>,
    /// Accepted conversion events, oldest first.
    #[serde(default)]
    pub events: Vec<Value>,
}

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

impl Data {
    /// A fresh state with the demo user and demo content; deterministic when
    /// `seed` is given.
    pub fn new(seed: Option<u64>, apps: Vec<App>) -> Data {
        let rng_seed = seed.unwrap_or_else(|| rand::rng().random());
        let mut d = Data {
            seed,
            counter: 0,
            apps,
            user: Value::Null,
            boards: BTreeMap::new(),
            sections: BTreeMap::new(),
            pins: BTreeMap::new(),
            media: BTreeMap::new(),
            followers: Vec::new(),
            following: Vec::new(),
            websites: Vec::new(),
            tokens: Tokens::default(),
            rng_seed,
            world: crate::world::World::default(),
            reports: BTreeMap::new(),
            events: Vec::new(),
        };
        d.seed_content();
        crate::world::World::seed(&mut d);
        d
    }

    /// A new id: 18 digits, increasing, so ids sort like numbers.
    pub fn id(&mut self) -> String {
        self.counter += 1;
        let base = 100_000_000_000_000_000u64 + self.seed.unwrap_or(0) % 1000 * 1_000_000_000;
        format!("{:018}", base + self.counter)
    }

    /// A timestamp: fixed and increasing under a seed, the wall clock otherwise.
    pub fn timestamp(&mut self) -> String {
        let secs = match self.seed {
            Some(_) => 1_735_689_600 + self.counter, // 2025-01-01T00:00:00Z onwards
            None => now(),
        };
        format_time(secs)
    }

    /// A random token with `prefix`, from the (seedable) generator.
    pub fn token(&mut self, prefix: &str) -> String {
        let mut rng = rand::rngs::StdRng::seed_from_u64(self.rng_seed);
        let body: String = (0..40).map(|_| ALNUM[rng.random_range(0..ALNUM.len())] as char).collect();
        self.rng_seed = rng.random();
        format!("{prefix}{body}")
    }

    pub fn app(&self, client_id: &str) -> Option<&App> {
        self.apps.iter().find(|a| a.client_id == client_id)
    }

    fn seed_content(&mut self) {
        let user_id = self.id();
        self.user = json!({
            "account_type": "BUSINESS",
            "id": user_id,
            "username": "emulator_user",
            "about": "A user of the pinterest-rs emulator",
            "business_name": "Emulator Bakery",
            "profile_image": "https://i.pinimg.com/600x600_R/emulator/profile.jpg",
            "website_url": "https://www.example.com",
            "board_count": 0,
            "pin_count": 0,
            "follower_count": 3,
            "following_count": 2,
            "monthly_views": 1234,
        });
        let recipes = self.add_board("Recipes", "Things to bake", "PUBLIC");
        let travel = self.add_board("Travel", "Places to go", "PUBLIC");
        let drafts = self.add_board("Drafts", "Not ready yet", "SECRET");
        let cakes = self.add_section(&recipes, "Cakes");
        self.add_pin(&recipes, Some(&cakes), "Lemon cake", "A moist lemon cake with a sharp glaze");
        self.add_pin(&recipes, Some(&cakes), "Carrot cake", "Spiced, with cream cheese frosting");
        self.add_pin(&recipes, None, "Sourdough loaf", "Three days, worth it");
        self.add_pin(&travel, None, "Lisbon tiles", "Blue and white, everywhere");
        self.add_pin(&travel, None, "Kyoto in autumn", "Maples by the river");
        self.add_pin(&drafts, None, "Secret menu", "Not for the public yet");
        for name in ["ada", "grace", "linus"] {
            self.followers.push(json!({"type": "user", "username": name}));
        }
        for name in ["grace", "ken"] {
            self.following.push(json!({"type": "user", "username": name}));
        }
        // A video uploaded earlier, processed and ready to pin.
        let media_id = self.id();
        self.media.insert(
            media_id,
            MediaRec {
                media_type: "video".into(),
                status: "succeeded".into(),
                polls: 0,
                uploaded: true,
                upload_signature: None,
            },
        );
        self.websites
            .push(json!({"website": "www.example.com", "status": "verified", "verified_at": "2025-01-01T00:00:00Z"}));
    }

    /// The user's account, with every property of its schema.
    pub fn user_account(&self) -> Value {
        complete("Account", self.user.clone())
    }

    pub fn owner(&self) -> Value {
        json!({"username": self.user["username"]})
    }

    pub fn add_board(&mut self, name: &str, description: &str, privacy: &str) -> String {
        let id = self.id();
        let created = self.timestamp();
        let board = json!({
            "id": id,
            "name": name,
            "description": description,
            "privacy": privacy,
            "owner": self.owner(),
            "created_at": created,
            "board_pins_modified_at": created,
            "pin_count": 0,
            "follower_count": 0,
            "collaborator_count": 0,
            "media": {"image_cover_url": null, "pin_thumbnail_urls": []},
        });
        self.boards.insert(id.clone(), complete("Board", board));
        self.recount();
        id
    }

    pub fn add_section(&mut self, board_id: &str, name: &str) -> String {
        let id = self.id();
        self.sections.insert(id.clone(), json!({"id": id, "name": name, "board_id": board_id}));
        id
    }

    pub fn add_pin(&mut self, board_id: &str, section: Option<&str>, title: &str, description: &str) -> String {
        let id = self.id();
        let image = format!("https://i.pinimg.com/emulator/{id}.jpg");
        let pin = json!({
            "id": id,
            "created_at": self.timestamp(),
            "link": format!("https://www.example.com/{id}"),
            "title": title,
            "description": description,
            "dominant_color": "#e8d5a3",
            "alt_text": null,
            "creative_type": "REGULAR",
            "board_id": board_id,
            "board_section_id": section,
            "board_owner": self.owner(),
            "is_owner": true,
            "is_standard": true,
            "has_been_promoted": false,
            "parent_pin_id": null,
            "note": "",
            "pin_metrics": null,
            "media": {"media_type": "image", "images": {
                "150x150": {"width": 150, "height": 150, "url": image},
                "600x": {"width": 600, "height": 900, "url": image},
            }},
        });
        self.pins.insert(id.clone(), complete("Pin", pin));
        self.recount();
        id
    }

    /// Keeps the counts on the user and boards true.
    pub fn recount(&mut self) {
        let mut per_board: BTreeMap<String, i64> = BTreeMap::new();
        for p in self.pins.values() {
            if let Some(b) = p["board_id"].as_str() {
                *per_board.entry(b.to_owned()).or_default() += 1;
            }
        }
        for (id, b) in self.boards.iter_mut() {
            b["pin_count"] = json!(per_board.get(id).copied().unwrap_or(0));
        }
        let (boards, pins) = (self.boards.len(), self.pins.len());
        if let Some(u) = self.user.as_object_mut() {
            u.insert("board_count".into(), json!(boards));
            u.insert("pin_count".into(), json!(pins));
        }
    }

    /// Times written without an offset, by a version before RFC 3339
    /// answers, get `Z`: in the properties the spec gives `format:
    /// date-time`, and `verified_at`.
    pub fn add_offsets(&mut self) {
        fn walk(v: &mut Value) {
            match v {
                Value::Array(a) => a.iter_mut().for_each(walk),
                Value::Object(m) => {
                    for (k, x) in m.iter_mut() {
                        let timed =
                            k == "verified_at" || crate::generated::examples::DATE_TIME_FIELDS.contains(&k.as_str());
                        match x {
                            Value::String(s) if timed && lacks_offset(s) => s.push('Z'),
                            other => walk(other),
                        }
                    }
                }
                _ => {}
            }
        }
        walk(&mut self.user);
        for v in self.boards.values_mut().chain(self.sections.values_mut()).chain(self.pins.values_mut()) {
            walk(v);
        }
        self.websites.iter_mut().for_each(walk);
    }

    pub fn board_is_secret(&self, board_id: &str) -> bool {
        self.boards.get(board_id).is_some_and(|b| b["privacy"] == "SECRET")
    }
}

/// `value` on top of the complete example of schema `name`: every property
/// the schema defines is there, and the record's own values win (nested
/// objects of the record are kept whole).
pub fn complete(name: &str, value: Value) -> Value {
    match (crate::generated::schema(name), value) {
        (Some(Value::Object(mut full)), Value::Object(own)) => {
            full.extend(own);
            Value::Object(full)
        }
        (_, value) => value,
    }
}

/// Whether `s` has `shape`: `d` stands for a digit, anything else for itself.
pub fn has_shape(s: &str, shape: &str) -> bool {
    s.len() == shape.len()
        && shape.bytes().zip(s.bytes()).all(|(w, g)| if w == b'd' { g.is_ascii_digit() } else { w == g })
}

/// `YYYY-MM-DDTHH:MM:SS`, without an offset.
fn lacks_offset(s: &str) -> bool {
    has_shape(s, "dddd-dd-ddTdd:dd:dd")
}

/// `YYYY-MM-DDTHH:MM:SSZ`: RFC 3339 in UTC, as the spec's `date-time`
/// format wants. (`--timestamps live` drops the `Z` on the way out.)
pub fn format_time(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_time(1_735_689_600), "2025-01-01T00:00:00Z");
        assert_eq!(format_time(1_709_164_800 + 3661), "2024-02-29T01:01:01Z");
    }

    #[test]
    fn debug_output_holds_no_secret() {
        let mut app = App::demo();
        app.client_secret = "CANARY-secret".into();
        let mut data = Data::new(Some(7), vec![app]);
        data.tokens
            .access
            .insert("pina_CANARY".into(), AccessRec { app: "1".into(), scopes: vec![], expires_at: 0, family: None });
        data.tokens.consents.insert(
            "CANARY-consent".into(),
            ConsentRec {
                app: "1".into(),
                redirect_uri: "https://localhost/".into(),
                scopes: vec![],
                state: Some("CANARY-state".into()),
                challenge: None,
            },
        );
        let text = format!("{data:?} {:?}", data.tokens.consents.values().next());
        assert!(!text.contains("CANARY"), "{text}");
        assert!(text.contains("access: 1"), "{text}");
    }

    #[test]
    fn seeded_state_is_deterministic() {
        let mut a = Data::new(Some(7), vec![App::demo()]);
        let mut b = Data::new(Some(7), vec![App::demo()]);
        assert_eq!(a.id(), b.id());
        assert_eq!(a.token("pina_"), b.token("pina_"));
        assert_eq!(serde_json::to_string(&a.pins).unwrap(), serde_json::to_string(&b.pins).unwrap());
        let mut c = Data::new(Some(8), vec![App::demo()]);
        assert_ne!(a.token("pina_"), c.token("pina_"));
    }
}
