//! Shared pieces of the benchmarks: the fixture data every contender
//! receives, latency statistics and resource usage of the process.

use std::fmt::Write as _;
use std::time::Duration;

/// One realistic Pin as the API returns it (about 0.9 KB).
pub fn pin_json(id: u64) -> String {
    let mut s = String::with_capacity(1500);
    let _ = write!(
        s,
        r##"{{"id":"{id}","created_at":"2025-03-0{d}T12:34:56","link":"https://www.example.com/recipes/{id}","title":"Lemon cake number {id}","description":"A moist lemon cake with a sharp glaze. Serves eight; keeps three days in a tin.","dominant_color":"#e8d5a3","alt_text":"A lemon cake on a plate","creative_type":"REGULAR","board_id":"{board}","board_section_id":null,"board_owner":{{"username":"baker"}},"is_owner":true,"is_standard":true,"has_been_promoted":false,"parent_pin_id":null,"note":"","pin_metrics":null,"media":{{"media_type":"image","images":{{"150x150":{{"width":150,"height":150,"url":"https://i.pinimg.com/150x150/aa/bb/cc/{id}.jpg"}},"400x300":{{"width":400,"height":300,"url":"https://i.pinimg.com/400x300/aa/bb/cc/{id}.jpg"}},"600x":{{"width":600,"height":900,"url":"https://i.pinimg.com/600x/aa/bb/cc/{id}.jpg"}},"1200x":{{"width":1200,"height":1800,"url":"https://i.pinimg.com/1200x/aa/bb/cc/{id}.jpg"}}}}}}}}"##,
        d = id % 9 + 1,
        board = 549_755_813_888u64 + id % 7
    );
    s
}

/// A page of `count` Pins starting at `first`, with `bookmark` (or null).
pub fn page_json(first: u64, count: u64, bookmark: Option<&str>) -> String {
    let mut s = String::with_capacity(count as usize * 1500 + 64);
    s.push_str(r#"{"items":["#);
    for i in 0..count {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&pin_json(first + i));
    }
    s.push_str("],\"bookmark\":");
    match bookmark {
        Some(b) => {
            let _ = write!(s, "\"{b}\"");
        }
        None => s.push_str("null"),
    }
    s.push('}');
    s
}

/// The user account.
pub fn user_json() -> &'static str {
    r#"{"account_type":"BUSINESS","id":"1234","username":"baker","profile_image":"https://i.pinimg.com/600x600_R/aa/bb/cc/baker.jpg","website_url":"https://www.example.com","business_name":"The Baker","board_count":7,"pin_count":10000,"follower_count":1200,"following_count":80,"monthly_views":34000}"#
}

/// Latency percentiles of a run.
#[derive(Debug, Clone, Copy)]
pub struct Percentiles {
    pub p50: Duration,
    pub p99: Duration,
}

/// p50 and p99 of `samples` (sorted in place).
pub fn percentiles(samples: &mut [Duration]) -> Percentiles {
    samples.sort_unstable();
    let at = |q: f64| -> Duration {
        if samples.is_empty() {
            return Duration::ZERO;
        }
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[i.min(samples.len() - 1)]
    };
    Percentiles { p50: at(0.50), p99: at(0.99) }
}

/// CPU time (user + system) and peak RSS of this process.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    pub cpu: Duration,
    pub max_rss_kib: u64,
}

/// `getrusage(RUSAGE_SELF)`.
pub fn usage() -> Usage {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `getrusage` fills the struct it is given; RUSAGE_SELF is valid.
    #[allow(unsafe_code)]
    let ru = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, ru.as_mut_ptr());
        ru.assume_init()
    };
    let tv = |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
    Usage { cpu: tv(ru.ru_utime) + tv(ru.ru_stime), max_rss_kib: ru.ru_maxrss as u64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_decode_as_the_sdk_types() {
        let page: pinterest_sdk::models::PinsListResponse = serde_json::from_str(&page_json(0, 3, Some("b"))).unwrap();
        assert_eq!(page.items.len(), 3);
        assert_eq!(page.bookmark.as_deref(), Some("b"));
        assert!(matches!(page.items[0].media, Some(pinterest_sdk::models::PinMedia::Image(_))));
        let me: pinterest_sdk::models::Account = serde_json::from_str(user_json()).unwrap();
        assert_eq!(me.username.as_deref(), Some("baker"));
        let size = pin_json(123).len();
        assert!((800..2000).contains(&size), "{size}");
    }

    #[test]
    fn percentile_math() {
        let mut v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let p = percentiles(&mut v);
        assert_eq!(p.p50, Duration::from_millis(51));
        assert_eq!(p.p99, Duration::from_millis(99));
        assert!(usage().max_rss_kib > 0);
    }
}
