//! `--jq EXPR`, on jaq (a maintained jq implementation in Rust).
//!
//! The expression is compiled once, when the command starts, so a typo is
//! a usage error before anything is sent; each value it yields is printed
//! as JSON, strings without their quotes (as `gh --jq` and `jq -r` do).

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data, unwrap_valr};
use jaq_json::Val;
use serde_json::Value;

use crate::output::{CliError, CliResult, terminal_safe};

/// A compiled jq expression.
pub struct Jq {
    filter: jaq_core::Filter<data::JustLut<Val>>,
}

impl std::fmt::Debug for Jq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Jq")
    }
}

fn defs() -> impl Iterator<Item = jaq_core::load::parse::Def<&'static str>> {
    jaq_core::defs().chain(jaq_std::defs()).chain(jaq_json::defs())
}

/// `code` compiled, or why it does not load or compile, in a line.
fn compile(code: &str) -> Result<jaq_core::Filter<data::JustLut<Val>>, String> {
    let loader = Loader::new(defs());
    let arena = Arena::default();
    let modules = match loader.load(&arena, File { code, path: () }) {
        Ok(m) => m,
        Err(errors) => {
            let first = errors.into_iter().next().map(|(_, e)| e);
            return Err(match first {
                Some(jaq_core::load::Error::Parse(errs)) => match errs.first() {
                    Some((expect, found)) => format!("expected {} at `{}`", expect.as_str(), snippet(found)),
                    None => "cannot parse it".into(),
                },
                Some(jaq_core::load::Error::Lex(errs)) => match errs.first() {
                    Some((_, found)) => format!("unexpected text at `{}`", snippet(found)),
                    None => "cannot read it".into(),
                },
                Some(jaq_core::load::Error::Io(_)) => "modules cannot be loaded here".into(),
                None => "cannot parse it".into(),
            });
        }
    };
    let funs = jaq_core::funs::<data::JustLut<Val>>().chain(jaq_std::funs()).chain(jaq_json::funs());
    Compiler::default().with_funs(funs).compile(modules).map_err(|errors| {
        match errors.into_iter().next().and_then(|(_, es)| es.into_iter().next()) {
            Some((name, undefined)) => format!("undefined {} `{}`", undefined.as_str(), snippet(name)),
            None => "cannot compile it".into(),
        }
    })
}

fn snippet(text: &str) -> String {
    let short: String = text.chars().take(24).collect();
    terminal_safe(&short).into_owned()
}

impl Jq {
    /// Compiles `code`: a usage error when it is not a jq expression.
    pub fn new(code: &str) -> CliResult<Self> {
        compile(code).map(|filter| Jq { filter }).map_err(|why| CliError::Usage(format!("--jq: {why}")))
    }

    /// The values `input` gives, in order.
    pub fn run(&self, input: &Value) -> CliResult<Vec<Value>> {
        let text = serde_json::to_vec(input).map_err(|e| CliError::Local(e.to_string()))?;
        let input = jaq_json::read::parse_single(&text)
            .map_err(|e| CliError::Local(format!("--jq cannot read the input: {e}")))?;
        let ctx = Ctx::<data::JustLut<Val>>::new(&self.filter.lut, Vars::new([]));
        let mut out = Vec::new();
        for v in self.filter.id.run((ctx, input)).map(unwrap_valr) {
            let v = v.map_err(|e| CliError::Usage(format!("--jq: {}", terminal_safe(&e.to_string()))))?;
            let text = v.to_string();
            let value = serde_json::from_str(&text)
                .map_err(|_| CliError::Usage(format!("--jq gave a value that is not JSON: {}", snippet(&text))))?;
            out.push(value);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_values_and_refuses_bad_expressions() {
        let jq = Jq::new(".[] | select(.n > 1) | .name").unwrap();
        let v = serde_json::json!([{"name": "a", "n": 1}, {"name": "b", "n": 2}, {"name": "c", "n": 3}]);
        assert_eq!(jq.run(&v).unwrap(), vec![Value::from("b"), Value::from("c")]);
        assert_eq!(Jq::new("length").unwrap().run(&v).unwrap(), vec![Value::from(3)]);
        assert_eq!(Jq::new("map(.n) | add").unwrap().run(&v).unwrap(), vec![Value::from(6)]);
        let e = Jq::new(".[] | ").unwrap_err();
        assert!(matches!(e, CliError::Usage(ref m) if m.starts_with("--jq: expected")), "{e:?}");
        let e = Jq::new("nosuchfilter").unwrap_err();
        assert!(matches!(e, CliError::Usage(ref m) if m.contains("undefined filter `nosuchfilter`")), "{e:?}");
        let e = Jq::new("error(\"boom\")").unwrap().run(&v).unwrap_err();
        assert!(matches!(e, CliError::Usage(ref m) if m.contains("boom")), "{e:?}");
    }
}
