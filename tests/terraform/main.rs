//! Static checks of the Terraform stacks under `terraform/`.
//!
//! There is no Terraform binary in CI, so these tests parse every `.tf` file with `hcl-rs` and
//! walk the parsed bodies: every file must parse, every variable and output must be documented,
//! and the wiring the host depends on must be exactly right — the event source mapping targets
//! the swapstream function, the function runs `bootstrap` on `provided.al2023`/arm64 with only
//! environment variables the host reads, its IAM policy names only the two tables and the
//! module prefix, and the result table has the reference key schema.
//!
//! Run with `cargo test -p swapstream-tests --test terraform`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use hcl::expr::{Operation, TemplateExpr, TraversalOperator};
use hcl::{Block, Body, Expression, ObjectKey};

// -----------------------------------------------------------------------------------------------
// What the host reads (its configuration contract)
// -----------------------------------------------------------------------------------------------

/// Environment variables the host reads in Lambda mode (and in service mode too).
const HOST_ENV: &[&str] = &[
    "SWAPSTREAM_TABLE",
    "SWAPSTREAM_DEAD_LETTER_TABLE",
    "SWAPSTREAM_MODULE",
    "SWAPSTREAM_MODULE_SHA256",
    "SWAPSTREAM_MODULE_POLL_INTERVAL",
    "SWAPSTREAM_MODULE_CONFIG",
    "SWAPSTREAM_CACHE_DIR",
    "SWAPSTREAM_LINEAGE_ATTRIBUTE",
    "SWAPSTREAM_LOG",
    "SWAPSTREAM_LOG_FORMAT",
    "SWAPSTREAM_WRITE_CONCURRENCY",
];

/// Environment variables only service mode (`swapstream run`) reads.
const SERVICE_ONLY_ENV: &[&str] = &[
    "SWAPSTREAM_BROKERS",
    "SWAPSTREAM_TOPICS",
    "SWAPSTREAM_GROUP",
    "SWAPSTREAM_KAFKA_SECURITY",
    "SWAPSTREAM_KAFKA_CA_FILE",
    "SWAPSTREAM_KAFKA_SASL_USERNAME",
    "SWAPSTREAM_KAFKA_SASL_PASSWORD",
    "SWAPSTREAM_METRICS_ADDR",
    "SWAPSTREAM_BATCH_MAX_RECORDS",
    "SWAPSTREAM_BATCH_MAX_BYTES",
    "SWAPSTREAM_BATCH_MAX_WAIT",
];

/// The provider constraint every configuration declares.
const AWS_PROVIDER_VERSION: &str = "~> 5.80";

/// The Terraform constraint every configuration declares.
const TERRAFORM_VERSION: &str = ">= 1.5.0";

// -----------------------------------------------------------------------------------------------
// Loading
// -----------------------------------------------------------------------------------------------

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the repository")
        .to_path_buf()
}

fn terraform_root() -> PathBuf {
    repo_root().join("terraform")
}

/// Every `.tf` file under `dir`, sorted, skipping `.terraform/` caches.
fn tf_files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != ".terraform" {
                    pending.push(path);
                }
            } else if name.ends_with(".tf") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn parse_file(path: &Path) -> Body {
    let text =
        fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    hcl::parse(&text).unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()))
}

/// One Terraform configuration: the `.tf` files of one directory (a stack or a module).
struct Config {
    dir: PathBuf,
    bodies: Vec<Body>,
}

impl Config {
    fn load(dir: &Path) -> Config {
        let mut paths: Vec<PathBuf> = fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "tf"))
            .collect();
        paths.sort();
        assert!(!paths.is_empty(), "{} has no .tf files", dir.display());
        Config {
            dir: dir.to_path_buf(),
            bodies: paths.iter().map(|path| parse_file(path)).collect(),
        }
    }

    fn name(&self) -> String {
        self.dir
            .strip_prefix(terraform_root())
            .unwrap_or(&self.dir)
            .display()
            .to_string()
    }

    /// Top-level blocks of every file.
    fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.bodies.iter().flat_map(|body| body.blocks())
    }

    /// Top-level blocks `kind "label0" "label1" {}` whose labels start with `labels`.
    fn blocks_labelled(&self, kind: &str, labels: &[&str]) -> Vec<&Block> {
        self.blocks()
            .filter(|block| {
                block.identifier() == kind
                    && block.labels().len() >= labels.len()
                    && labels
                        .iter()
                        .zip(block.labels())
                        .all(|(want, have)| have.as_str() == *want)
            })
            .collect()
    }

    fn resource(&self, kind: &str, name: &str) -> &Block {
        self.blocks_labelled("resource", &[kind, name])
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("{}: no resource {kind}.{name}", self.name()))
    }

    fn resources_of(&self, kind: &str) -> Vec<&Block> {
        self.blocks_labelled("resource", &[kind])
    }

    fn data(&self, kind: &str, name: &str) -> &Block {
        self.blocks_labelled("data", &[kind, name])
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("{}: no data {kind}.{name}", self.name()))
    }

    /// Every `locals` entry, by name.
    fn locals(&self) -> BTreeMap<String, &Expression> {
        self.blocks()
            .filter(|block| block.identifier() == "locals")
            .flat_map(|block| block.body().attributes())
            .map(|attr| (attr.key.to_string(), &attr.expr))
            .collect()
    }
}

/// The stacks and the shared modules.
fn all_configs() -> Vec<Config> {
    let root = terraform_root();
    let mut dirs = vec![root.join("producer"), root.join("consumer")];
    let mut modules: Vec<PathBuf> = fs::read_dir(root.join("modules"))
        .expect("terraform/modules exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    modules.sort();
    dirs.extend(modules);
    dirs.iter().map(|dir| Config::load(dir)).collect()
}

fn consumer() -> Config {
    Config::load(&terraform_root().join("consumer"))
}

fn producer() -> Config {
    Config::load(&terraform_root().join("producer"))
}

// -----------------------------------------------------------------------------------------------
// Walking bodies and expressions
// -----------------------------------------------------------------------------------------------

fn attr<'a>(body: &'a Body, key: &str) -> &'a Expression {
    body.attributes()
        .find(|attr| attr.key.as_str() == key)
        .map(|attr| &attr.expr)
        .unwrap_or_else(|| panic!("no attribute `{key}`"))
}

fn maybe_attr<'a>(body: &'a Body, key: &str) -> Option<&'a Expression> {
    body.attributes()
        .find(|attr| attr.key.as_str() == key)
        .map(|attr| &attr.expr)
}

fn nested<'a>(body: &'a Body, kind: &str) -> Vec<&'a Block> {
    body.blocks()
        .filter(|block| block.identifier() == kind)
        .collect()
}

fn single_nested<'a>(body: &'a Body, kind: &str) -> &'a Body {
    let blocks = nested(body, kind);
    assert_eq!(blocks.len(), 1, "expected exactly one `{kind}` block");
    blocks[0].body()
}

/// The literal text of a string expression (a plain or quoted-template string).
fn literal(expr: &Expression) -> Option<String> {
    match expr {
        Expression::String(s) => Some(s.clone()),
        Expression::TemplateExpr(template) => match template.as_ref() {
            TemplateExpr::QuotedString(s) if !s.contains("${") && !s.contains("%{") => {
                Some(s.clone())
            }
            _ => None,
        },
        _ => None,
    }
}

/// An expression as HCL source, for exact comparisons such as `aws_dynamodb_table.x.arn`.
fn source(expr: &Expression) -> String {
    match expr {
        Expression::TemplateExpr(template) => match template.as_ref() {
            TemplateExpr::QuotedString(s) => s.clone(),
            TemplateExpr::Heredoc(heredoc) => heredoc.template.clone(),
        },
        Expression::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The elements of an array expression, each as [`source`].
fn elements(expr: &Expression) -> Vec<String> {
    match expr {
        Expression::Array(items) => items.iter().map(source).collect(),
        other => panic!("`{other}` is not an array"),
    }
}

/// `local.NAME` → `NAME`.
fn local_name(expr: &Expression) -> Option<&str> {
    let Expression::Traversal(traversal) = expr else {
        return None;
    };
    match (&traversal.expr, traversal.operators.as_slice()) {
        (Expression::Variable(var), [TraversalOperator::GetAttr(name)])
            if var.as_str() == "local" =>
        {
            Some(name.as_str())
        }
        _ => None,
    }
}

/// Follows `local.*` references to the expression they name.
fn resolve<'a>(expr: &'a Expression, locals: &BTreeMap<String, &'a Expression>) -> &'a Expression {
    let mut expr = expr;
    while let Some(name) = local_name(expr) {
        expr = locals
            .get(name)
            .unwrap_or_else(|| panic!("local.{name} is not defined"));
    }
    expr
}

fn object_key(key: &ObjectKey) -> String {
    match key {
        ObjectKey::Identifier(ident) => ident.to_string(),
        ObjectKey::Expression(expr) => {
            literal(expr).unwrap_or_else(|| panic!("object key `{expr}` is not a literal"))
        }
        other => panic!("unsupported object key `{other}`"),
    }
}

/// Every `key => value` an object-valued expression can produce: looks through `local.*`,
/// `merge(...)`, conditionals and parentheses, so entries added only under a condition count.
fn object_entries<'a>(
    expr: &'a Expression,
    locals: &BTreeMap<String, &'a Expression>,
) -> Vec<(String, &'a Expression)> {
    match resolve(expr, locals) {
        Expression::Object(object) => object
            .iter()
            .map(|(key, value)| (object_key(key), value))
            .collect(),
        Expression::FuncCall(call) if call.name.name.as_str() == "merge" => call
            .args
            .iter()
            .flat_map(|arg| object_entries(arg, locals))
            .collect(),
        Expression::Conditional(cond) => {
            let mut entries = object_entries(&cond.true_expr, locals);
            entries.extend(object_entries(&cond.false_expr, locals));
            entries
        }
        Expression::Parenthesis(inner) => object_entries(inner, locals),
        other => panic!("cannot tell the keys of `{other}`"),
    }
}

fn object_keys(expr: &Expression, locals: &BTreeMap<String, &Expression>) -> BTreeSet<String> {
    object_entries(expr, locals)
        .into_iter()
        .map(|(key, _)| key)
        .collect()
}

fn object_entry<'a>(
    expr: &'a Expression,
    locals: &BTreeMap<String, &'a Expression>,
    key: &str,
) -> &'a Expression {
    let matches: Vec<_> = object_entries(expr, locals)
        .into_iter()
        .filter(|(k, _)| k == key)
        .collect();
    assert_eq!(matches.len(), 1, "expected exactly one `{key}` entry");
    matches[0].1
}

/// Calls `f` on `expr` and every expression nested in it.
fn visit<'a>(expr: &'a Expression, f: &mut dyn FnMut(&'a Expression)) {
    f(expr);
    match expr {
        Expression::Array(items) => items.iter().for_each(|item| visit(item, f)),
        Expression::Object(object) => {
            for (key, value) in object.iter() {
                if let ObjectKey::Expression(key) = key {
                    visit(key, f);
                }
                visit(value, f);
            }
        }
        Expression::Traversal(traversal) => {
            visit(&traversal.expr, f);
            for op in &traversal.operators {
                if let TraversalOperator::Index(index) = op {
                    visit(index, f);
                }
            }
        }
        Expression::FuncCall(call) => call.args.iter().for_each(|arg| visit(arg, f)),
        Expression::Parenthesis(inner) => visit(inner, f),
        Expression::Conditional(cond) => {
            visit(&cond.cond_expr, f);
            visit(&cond.true_expr, f);
            visit(&cond.false_expr, f);
        }
        Expression::Operation(op) => match op.as_ref() {
            Operation::Unary(unary) => visit(&unary.expr, f),
            Operation::Binary(binary) => {
                visit(&binary.lhs_expr, f);
                visit(&binary.rhs_expr, f);
            }
        },
        Expression::ForExpr(for_expr) => {
            visit(&for_expr.collection_expr, f);
            if let Some(key) = &for_expr.key_expr {
                visit(key, f);
            }
            visit(&for_expr.value_expr, f);
            if let Some(cond) = &for_expr.cond_expr {
                visit(cond, f);
            }
        }
        _ => {}
    }
}

/// Calls `f` on every attribute expression in `body` and its nested blocks, with the path of
/// block identifiers and the attribute key leading to it.
fn visit_body<'a>(
    body: &'a Body,
    path: &mut Vec<String>,
    f: &mut dyn FnMut(&[String], &'a Expression),
) {
    for attribute in body.attributes() {
        path.push(attribute.key.to_string());
        f(path, &attribute.expr);
        path.pop();
    }
    for block in body.blocks() {
        path.push(block.identifier().to_string());
        visit_body(block.body(), path, f);
        path.pop();
    }
}

// -----------------------------------------------------------------------------------------------
// IAM policy documents
// -----------------------------------------------------------------------------------------------

/// One statement of an `aws_iam_policy_document`, as written.
#[derive(Debug)]
struct Statement {
    document: String,
    sid: String,
    actions: Vec<String>,
    resources: Vec<String>,
    effect: String,
}

/// Names of the `data.aws_iam_policy_document.NAME.json` documents `expr` refers to.
fn referenced_documents(expr: &Expression, locals: &BTreeMap<String, &Expression>) -> Vec<String> {
    let mut names = Vec::new();
    let mut pending = vec![expr];
    while let Some(expr) = pending.pop() {
        visit(expr, &mut |e| {
            if let Some(name) = local_name(e) {
                pending.push(locals[name]);
            }
            let Expression::Traversal(traversal) = e else {
                return;
            };
            if let (
                Expression::Variable(root),
                [
                    TraversalOperator::GetAttr(kind),
                    TraversalOperator::GetAttr(name),
                    TraversalOperator::GetAttr(attr),
                ],
            ) = (&traversal.expr, traversal.operators.as_slice())
                && root.as_str() == "data"
                && kind.as_str() == "aws_iam_policy_document"
                && attr.as_str() == "json"
            {
                names.push(name.to_string());
            }
        });
    }
    names
}

/// The statements of a policy document and of the documents it merges in
/// (`source_policy_documents`), including `dynamic "statement"` contents.
fn policy_statements(config: &Config, document: &str) -> Vec<Statement> {
    let locals = config.locals();
    let body = config.data("aws_iam_policy_document", document).body();
    let mut statements = Vec::new();
    for merged in ["source_policy_documents", "override_policy_documents"] {
        if let Some(expr) = maybe_attr(body, merged) {
            for name in referenced_documents(expr, &locals) {
                statements.extend(policy_statements(config, &name));
            }
        }
    }
    let mut bodies: Vec<&Body> = nested(body, "statement")
        .into_iter()
        .map(Block::body)
        .collect();
    for dynamic in nested(body, "dynamic") {
        if dynamic.labels().first().map(|l| l.as_str()) == Some("statement") {
            bodies.push(single_nested(dynamic.body(), "content"));
        }
    }
    for statement in bodies {
        let list = |key: &str| -> Vec<String> {
            match maybe_attr(statement, key) {
                Some(array @ Expression::Array(_)) => elements(array),
                Some(other) => vec![source(other)],
                None => Vec::new(),
            }
        };
        statements.push(Statement {
            document: document.to_string(),
            sid: maybe_attr(statement, "sid").map(source).unwrap_or_default(),
            actions: list("actions"),
            resources: list("resources"),
            effect: maybe_attr(statement, "effect")
                .map(source)
                .unwrap_or_else(|| "Allow".to_string()),
        });
    }
    statements
}

/// Every statement the swapstream function's role is granted, from all its inline policies.
fn lambda_role_statements() -> Vec<Statement> {
    let config = consumer();
    let locals = config.locals();
    let on_lambda_role =
        |block: &&Block| source(attr(block.body(), "role")).starts_with("aws_iam_role.lambda.");

    let attachments: Vec<_> = config
        .resources_of("aws_iam_role_policy_attachment")
        .into_iter()
        .filter(on_lambda_role)
        .collect();
    assert!(
        attachments.is_empty(),
        "the function's role must not get managed policies (they grant on \"*\")"
    );

    let policies: Vec<_> = config
        .resources_of("aws_iam_role_policy")
        .into_iter()
        .filter(on_lambda_role)
        .collect();
    assert!(
        !policies.is_empty(),
        "the function's role has no inline policy"
    );
    policies
        .iter()
        .flat_map(|policy| referenced_documents(attr(policy.body(), "policy"), &locals))
        .flat_map(|document| policy_statements(&config, &document))
        .collect()
}

fn statements_with_action_prefix<'a>(
    statements: &'a [Statement],
    prefix: &str,
) -> Vec<&'a Statement> {
    statements
        .iter()
        .filter(|s| s.actions.iter().any(|a| a.starts_with(prefix)))
        .collect()
}

fn lambda_env(config: &Config) -> (BTreeMap<String, &Expression>, &Expression) {
    let function = config.resource("aws_lambda_function", "swapstream");
    let environment = single_nested(function.body(), "environment");
    (config.locals(), attr(environment, "variables"))
}

// -----------------------------------------------------------------------------------------------
// Every file, every configuration
// -----------------------------------------------------------------------------------------------

#[test]
fn every_tf_file_parses() {
    let files = tf_files_under(&terraform_root());
    assert!(
        files.len() >= 20,
        "expected the stacks and modules, found {} files",
        files.len()
    );
    for file in &files {
        parse_file(file);
    }
}

#[test]
fn stacks_and_modules_are_where_the_docs_say() {
    let names: Vec<String> = all_configs().iter().map(Config::name).collect();
    assert_eq!(
        names,
        [
            "producer",
            "consumer",
            "modules/broker-endpoint-service",
            "modules/kms-key",
            "modules/private-bucket",
            "modules/vpc",
        ]
    );
}

#[test]
fn every_variable_has_a_type_and_a_description() {
    for config in all_configs() {
        for variable in config.blocks().filter(|b| b.identifier() == "variable") {
            let name = format!(
                "{}: variable {}",
                config.name(),
                variable.labels()[0].as_str()
            );
            assert!(
                maybe_attr(variable.body(), "type").is_some(),
                "{name} has no type"
            );
            let description = maybe_attr(variable.body(), "description")
                .and_then(literal)
                .unwrap_or_else(|| panic!("{name} has no literal description"));
            assert!(
                !description.trim().is_empty(),
                "{name} has an empty description"
            );
        }
    }
}

#[test]
fn every_output_has_a_description() {
    for config in all_configs() {
        for output in config.blocks().filter(|b| b.identifier() == "output") {
            let name = format!("{}: output {}", config.name(), output.labels()[0].as_str());
            let description = maybe_attr(output.body(), "description")
                .and_then(literal)
                .unwrap_or_else(|| panic!("{name} has no literal description"));
            assert!(
                !description.trim().is_empty(),
                "{name} has an empty description"
            );
        }
    }
}

#[test]
fn every_configuration_pins_terraform_and_the_aws_provider() {
    for config in all_configs() {
        let terraform: Vec<_> = config
            .blocks()
            .filter(|b| b.identifier() == "terraform")
            .collect();
        assert_eq!(terraform.len(), 1, "{}: one terraform block", config.name());
        let body = terraform[0].body();
        assert_eq!(
            literal(attr(body, "required_version")).as_deref(),
            Some(TERRAFORM_VERSION),
            "{}",
            config.name()
        );
        let providers = single_nested(body, "required_providers");
        let aws = object_entries(attr(providers, "aws"), &BTreeMap::new());
        let get = |key: &str| {
            aws.iter()
                .find(|(k, _)| k == key)
                .and_then(|(_, v)| literal(v))
                .unwrap_or_else(|| panic!("{}: aws provider has no {key}", config.name()))
        };
        assert_eq!(get("source"), "hashicorp/aws", "{}", config.name());
        assert_eq!(get("version"), AWS_PROVIDER_VERSION, "{}", config.name());
    }
}

/// An AWS account ID: twelve digits in a row.
fn has_account_id(text: &str) -> bool {
    text.as_bytes()
        .split(|b| !b.is_ascii_digit())
        .any(|run| run.len() == 12)
}

/// An AWS region name such as `eu-central-1` or `us-gov-west-1`.
fn has_region(text: &str) -> bool {
    const DIRECTIONS: &[&str] = &[
        "north",
        "south",
        "east",
        "west",
        "central",
        "northeast",
        "northwest",
        "southeast",
        "southwest",
    ];
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .any(|word| {
            let parts: Vec<&str> = word.split('-').collect();
            let (prefix, rest) = match parts.as_slice() {
                [area, "gov", rest @ ..] | [area, rest @ ..] => (area, rest),
                [] => return false,
            };
            prefix.len() == 2
                && prefix.chars().all(|c| c.is_ascii_lowercase())
                && matches!(rest, [direction, number]
                    if DIRECTIONS.contains(direction)
                        && !number.is_empty()
                        && number.chars().all(|c| c.is_ascii_digit()))
        })
}

#[test]
fn no_account_id_or_region_is_hard_coded() {
    assert!(has_account_id("arn:aws:iam::123456789012:root"));
    assert!(has_region("s3.eu-central-1.amazonaws.com"));
    assert!(has_region("us-gov-west-1"));
    assert!(!has_region("euc1-az1"));

    for config in all_configs() {
        for body in &config.bodies {
            visit_body(body, &mut Vec::new(), &mut |path, expr| {
                // Descriptions and validation messages may show examples.
                let documentation = path.last().is_some_and(|key| key == "description")
                    || path.iter().any(|key| key == "validation");
                if documentation {
                    return;
                }
                visit(expr, &mut |e| {
                    let text = match e {
                        Expression::String(s) => s.as_str(),
                        Expression::TemplateExpr(template) => match template.as_ref() {
                            TemplateExpr::QuotedString(s) => s.as_str(),
                            TemplateExpr::Heredoc(heredoc) => heredoc.template.as_str(),
                        },
                        _ => return,
                    };
                    assert!(
                        !has_account_id(text) && !has_region(text),
                        "{}: {} hard-codes an account ID or region: {text:?}",
                        config.name(),
                        path.join(".")
                    );
                });
            });
        }
    }
}

#[test]
fn artifact_paths_default_to_what_package_sh_builds() {
    let script = fs::read_to_string(repo_root().join("scripts/package.sh")).unwrap();
    let cases = [
        (consumer(), "lambda_zip_path", "dist/lambda/bootstrap.zip"),
        (
            consumer(),
            "default_module_path",
            "dist/modules/average.wasm",
        ),
        (
            producer(),
            "producer_binary_path",
            "dist/bin/swapstream-linux-arm64",
        ),
    ];
    for (config, variable, path) in cases {
        let block = config.blocks_labelled("variable", &[variable])[0];
        assert_eq!(
            literal(attr(block.body(), "default")).as_deref(),
            Some(path)
        );
        assert!(
            script.contains(path),
            "scripts/package.sh does not produce {path}"
        );
    }
}

#[test]
fn deployment_guide_documents_every_stack_variable() {
    let guide = fs::read_to_string(terraform_root().join("README.md")).unwrap();
    for config in [producer(), consumer()] {
        for variable in config.blocks().filter(|b| b.identifier() == "variable") {
            let name = variable.labels()[0].as_str();
            assert!(
                guide.contains(&format!("| `{name}` |")),
                "terraform/README.md has no row for {} variable {name}",
                config.name()
            );
        }
    }
}

// -----------------------------------------------------------------------------------------------
// The function and its event source mapping
// -----------------------------------------------------------------------------------------------

#[test]
fn lambda_runs_the_swapstream_bootstrap_on_provided_al2023_arm64() {
    let config = consumer();
    let function = config.resource("aws_lambda_function", "swapstream").body();
    assert_eq!(
        literal(attr(function, "runtime")).as_deref(),
        Some("provided.al2023")
    );
    assert_eq!(
        literal(attr(function, "handler")).as_deref(),
        Some("bootstrap")
    );
    assert_eq!(elements(attr(function, "architectures")), ["arm64"]);
    assert_eq!(source(attr(function, "filename")), "local.lambda_zip_path");
    assert_eq!(
        source(attr(function, "source_code_hash")),
        "filebase64sha256(local.lambda_zip_path)"
    );
}

#[test]
fn event_source_mapping_targets_the_swapstream_lambda() {
    let config = consumer();
    let mappings = config.resources_of("aws_lambda_event_source_mapping");
    assert_eq!(mappings.len(), 1);
    let mapping = mappings[0].body();
    assert_eq!(
        source(attr(mapping, "function_name")),
        "aws_lambda_function.swapstream.arn"
    );
}

#[test]
fn event_source_mapping_reads_the_topic_through_the_privatelink_brokers() {
    let config = consumer();
    let mapping = config
        .resource("aws_lambda_event_source_mapping", "kafka")
        .body();
    assert_eq!(elements(attr(mapping, "topics")), ["var.kafka_topic"]);
    assert_eq!(
        source(attr(mapping, "starting_position")),
        "var.starting_position"
    );
    assert_eq!(source(attr(mapping, "batch_size")), "var.batch_size");
    assert_eq!(
        source(attr(mapping, "maximum_batching_window_in_seconds")),
        "var.maximum_batching_window_in_seconds"
    );
    let endpoints = attr(
        single_nested(mapping, "self_managed_event_source"),
        "endpoints",
    );
    let locals = config.locals();
    assert_eq!(
        source(object_entry(endpoints, &locals, "KAFKA_BOOTSTRAP_SERVERS")),
        "local.bootstrap_servers"
    );
    // No partition filter exists on an event source mapping: it reads every partition.
    assert!(maybe_attr(mapping, "filter_criteria").is_none());
    // The other dynamic block is provisioned_poller_config (provisioned mode only).
    let access: Vec<&Block> = nested(mapping, "dynamic")
        .into_iter()
        .filter(|block| {
            block.labels().first().map(|label| label.as_str())
                == Some("source_access_configuration")
        })
        .collect();
    assert_eq!(access.len(), 1);
    assert_eq!(
        access[0].labels()[0].as_str(),
        "source_access_configuration"
    );
    assert_eq!(
        source(attr(access[0].body(), "for_each")),
        "local.event_source_access"
    );
    let access_types: BTreeSet<String> = {
        let mut types = BTreeSet::new();
        visit(locals["event_source_access"], &mut |e| {
            if let Expression::Object(object) = e {
                for (key, value) in object.iter() {
                    if object_key(key) == "type" {
                        types.insert(source(value));
                    }
                }
            }
        });
        types
    };
    assert_eq!(
        access_types,
        [
            "CLIENT_CERTIFICATE_TLS_AUTH",
            "SASL_SCRAM_512_AUTH",
            "SERVER_ROOT_CA_CERTIFICATE",
            "VPC_SECURITY_GROUP",
            "VPC_SUBNET",
        ]
        .map(String::from)
        .into()
    );
}

#[test]
fn lambda_environment_names_are_all_read_by_the_host() {
    let config = consumer();
    let (locals, variables) = lambda_env(&config);
    let names = object_keys(variables, &locals);
    let known: BTreeSet<String> = HOST_ENV.iter().map(|s| s.to_string()).collect();
    let unknown: Vec<_> = names.difference(&known).collect();
    assert!(unknown.is_empty(), "the host does not read {unknown:?}");
    for required in ["SWAPSTREAM_TABLE", "SWAPSTREAM_MODULE"] {
        assert!(names.contains(required), "{required} is not set");
    }
    // Lambda reserves AWS_* names; the SDK reads AWS_REGION from the runtime.
    assert!(names.iter().all(|name| !name.starts_with("AWS_")));
}

#[test]
fn lambda_environment_points_at_the_tables_and_the_pinned_module() {
    let config = consumer();
    let (locals, variables) = lambda_env(&config);
    let value = |name: &str| source(object_entry(variables, &locals, name));
    assert_eq!(
        value("SWAPSTREAM_TABLE"),
        "aws_dynamodb_table.averages.name"
    );
    assert_eq!(
        value("SWAPSTREAM_DEAD_LETTER_TABLE"),
        "aws_dynamodb_table.dead_letter.name"
    );
    assert_eq!(value("SWAPSTREAM_MODULE"), "local.module_location");
    assert_eq!(value("SWAPSTREAM_MODULE_SHA256"), "local.module_sha256");
    assert_eq!(value("SWAPSTREAM_CACHE_DIR"), "/tmp/swapstream-cache");
    assert_eq!(value("SWAPSTREAM_LOG_FORMAT"), "json");

    assert_eq!(
        source(locals["module_location"]),
        "s3://${module.module_store.bucket}/${local.module_key}"
    );
    assert_eq!(
        source(locals["module_key"]),
        "${var.module_prefix}${var.module_file_name}"
    );
    // The pin defaults to the hash Terraform recorded when it uploaded the object to that key
    // (kept by ignore_changes), never to today's local file, which a rebuild changes.
    assert_eq!(
        source(locals["module_sha256"]),
        r#"var.module_sha256 != "" ? var.module_sha256 : aws_s3_object.default_module.source_hash"#
    );
    let object = config.resource("aws_s3_object", "default_module").body();
    assert_eq!(source(attr(object, "bucket")), "module.module_store.bucket");
    assert_eq!(source(attr(object, "key")), "local.module_key");
    assert_eq!(source(attr(object, "source")), "local.default_module_path");
}

#[test]
fn service_environment_names_are_all_read_by_the_host() {
    let config = consumer();
    let locals = config.locals();
    let names = object_keys(locals["service_environment"], &locals);
    let known: BTreeSet<String> = HOST_ENV
        .iter()
        .chain(SERVICE_ONLY_ENV)
        .map(|s| s.to_string())
        .collect();
    let unknown: Vec<_> = names.difference(&known).collect();
    assert!(unknown.is_empty(), "the host does not read {unknown:?}");
    for required in [
        "SWAPSTREAM_BROKERS",
        "SWAPSTREAM_TOPICS",
        "SWAPSTREAM_GROUP",
        "SWAPSTREAM_TABLE",
    ] {
        assert!(names.contains(required), "{required} is not set");
    }
}

// -----------------------------------------------------------------------------------------------
// Least privilege
// -----------------------------------------------------------------------------------------------

#[test]
fn lambda_policy_grants_dynamodb_on_the_two_tables_only() {
    let statements = lambda_role_statements();
    let dynamodb = statements_with_action_prefix(&statements, "dynamodb:");
    assert_eq!(dynamodb.len(), 1, "{dynamodb:#?}");
    let statement = dynamodb[0];
    assert_eq!(statement.effect, "Allow");
    assert_eq!(
        statement.actions,
        ["dynamodb:BatchWriteItem", "dynamodb:DescribeTable"]
    );
    assert_eq!(
        statement.resources,
        [
            "aws_dynamodb_table.averages.arn",
            "aws_dynamodb_table.dead_letter.arn"
        ]
    );
}

#[test]
fn lambda_policy_grants_s3_on_the_module_prefix_and_the_failed_batches_bucket_only() {
    let statements = lambda_role_statements();
    let s3 = statements_with_action_prefix(&statements, "s3:");
    let grants: Vec<(String, Vec<String>, Vec<String>)> = s3
        .iter()
        .map(|s| (s.document.clone(), s.actions.clone(), s.resources.clone()))
        .collect();
    let grant = |document: &str, action: &str, resource: &str| {
        (
            document.to_string(),
            vec![action.to_string()],
            vec![resource.to_string()],
        )
    };
    assert_eq!(
        grants,
        [
            grant(
                "data_access",
                "s3:GetObject",
                "${module.module_store.arn}/${var.module_prefix}*"
            ),
            grant("data_access", "s3:ListBucket", "module.module_store.arn"),
            // The event source mapping's on-failure destination (dynamic statements).
            grant(
                "on_failure_destination",
                "s3:PutObject",
                "${statement.value}/*"
            ),
            grant("on_failure_destination", "s3:ListBucket", "statement.value"),
        ]
    );
    // ...whose statement.value is the failed-batches bucket, and only with the S3 destination.
    let config = consumer();
    let destination = config
        .data("aws_iam_policy_document", "on_failure_destination")
        .body();
    let mut s3_statements = 0;
    for dynamic in nested(destination, "dynamic") {
        let content = single_nested(dynamic.body(), "content");
        if elements(attr(content, "actions"))
            .iter()
            .any(|action| action.starts_with("s3:"))
        {
            s3_statements += 1;
            let for_each = source(attr(dynamic.body(), "for_each"));
            assert!(
                for_each.contains("module.failed_batches[0].arn"),
                "S3 destination statement over {for_each}"
            );
        }
    }
    assert_eq!(s3_statements, 2);
}

#[test]
fn lambda_policy_writes_logs_to_its_own_log_group_only() {
    let statements = lambda_role_statements();
    let logs = statements_with_action_prefix(&statements, "logs:");
    assert_eq!(logs.len(), 1, "{logs:#?}");
    assert_eq!(
        logs[0].actions,
        ["logs:CreateLogStream", "logs:PutLogEvents"]
    );
    assert_eq!(
        logs[0].resources,
        ["${aws_cloudwatch_log_group.lambda.arn}:*"]
    );
}

#[test]
fn lambda_policy_uses_wildcard_resources_only_for_vpc_networking_and_tracing() {
    let statements = lambda_role_statements();
    for statement in &statements {
        if statement.resources.iter().any(|r| r == "*") {
            assert!(
                statement
                    .actions
                    .iter()
                    .all(|a| a.starts_with("ec2:") || a.starts_with("xray:")),
                "{} / {} grants {:?} on \"*\"",
                statement.document,
                statement.sid,
                statement.actions
            );
        }
        assert!(
            statement
                .actions
                .iter()
                .all(|a| !a.ends_with(":*") && a != "*"),
            "{} / {} uses a wildcard action",
            statement.document,
            statement.sid
        );
    }
}

// -----------------------------------------------------------------------------------------------
// Tables
// -----------------------------------------------------------------------------------------------

/// `(hash key, range key, {attribute: type})` of a table.
fn key_schema(config: &Config, name: &str) -> (String, String, BTreeMap<String, String>) {
    let table = config.resource("aws_dynamodb_table", name).body();
    let attributes = nested(table, "attribute")
        .into_iter()
        .map(|block| {
            (
                literal(attr(block.body(), "name")).unwrap(),
                literal(attr(block.body(), "type")).unwrap(),
            )
        })
        .collect();
    (
        literal(attr(table, "hash_key")).unwrap(),
        literal(attr(table, "range_key")).unwrap(),
        attributes,
    )
}

#[test]
fn result_table_is_keyed_by_device_id_number_and_window_start_string() {
    let (hash, range, attributes) = key_schema(&consumer(), "averages");
    assert_eq!(
        (hash.as_str(), range.as_str()),
        ("device_id", "window_start")
    );
    assert_eq!(
        attributes,
        BTreeMap::from([
            ("device_id".to_string(), "N".to_string()),
            ("window_start".to_string(), "S".to_string()),
        ])
    );
}

#[test]
fn dead_letter_table_is_keyed_by_source_string_and_offset_number() {
    let (hash, range, attributes) = key_schema(&consumer(), "dead_letter");
    assert_eq!((hash.as_str(), range.as_str()), ("source", "offset"));
    assert_eq!(
        attributes,
        BTreeMap::from([
            ("offset".to_string(), "N".to_string()),
            ("source".to_string(), "S".to_string()),
        ])
    );
}

#[test]
fn tables_are_on_demand_with_point_in_time_recovery_and_kms() {
    let config = consumer();
    for name in ["averages", "dead_letter"] {
        let table = config.resource("aws_dynamodb_table", name).body();
        assert_eq!(
            literal(attr(table, "billing_mode")).as_deref(),
            Some("PAY_PER_REQUEST")
        );
        let pitr = single_nested(table, "point_in_time_recovery");
        assert_eq!(source(attr(pitr, "enabled")), "true");
        let sse = single_nested(table, "server_side_encryption");
        assert_eq!(source(attr(sse, "enabled")), "true");
        assert_eq!(source(attr(sse, "kms_key_arn")), "module.kms.key_arn");
    }
}
