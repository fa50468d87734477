//! Evaluation tests: expressions, references, variables, instances,
//! dynamic blocks, cycles.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use super::*;
use crate::source::FileId;
use crate::terraform::{Project, TfFile, TfOptions};

/// A project with one module made of `files` (`(name, text)`); names ending
/// in `.tfvars` are variables files.
pub(crate) fn project(files: &[(&str, &str)]) -> Project {
    let mut module = Module {
        dir: PathBuf::from("/nonexistent/root"),
        ..Default::default()
    };
    for (i, (name, text)) in files.iter().enumerate() {
        let parsed = crate::hcl::parse_hcl(FileId(i as u32), text, Duration::from_secs(5)).unwrap();
        assert!(parsed.error.is_none(), "{name} does not parse");
        let f = TfFile {
            file: FileId(i as u32),
            body: parsed.body,
            comments: parsed.comments,
        };
        if name.ends_with(".tfvars") {
            module.var_files.push(f);
        } else {
            module.files.push(f);
        }
    }
    Project::new(vec![module], Vec::new())
}

/// Evaluate `expr` inside a module whose other files are `files`; the value
/// as JSON with unknowns spelled `"<unknown>"` and errors `"<error>"`.
pub(crate) fn eval_in(files: &[(&str, &str)], options: &TfOptions, expr: &str) -> Value {
    let mut all: Vec<(&str, &str)> = files.to_vec();
    let probe = format!("locals {{\n  probe__ = {expr}\n}}\n");
    all.push(("probe.tf", &probe));
    let p = project(&all);
    let ev = Evaluator::new(&p, &p.modules[0], options);
    shown(&ev.local("probe__", 0, None))
}

pub(crate) fn eval(expr: &str) -> Value {
    eval_in(&[], &TfOptions::default(), expr)
}

pub(crate) fn shown(v: &Val) -> Value {
    match &v.kind {
        ValKind::Unknown(Unknown::Error(_)) => json!("<error>"),
        ValKind::Unknown(_) => json!("<unknown>"),
        ValKind::List(items) => Value::Array(items.iter().map(shown).collect()),
        ValKind::Map(entries) => Value::Object(entries.iter().map(|e| (e.key.to_string(), shown(&e.value))).collect()),
        _ => v.to_json(),
    }
}

#[test]
fn operator_precedence_follows_hcl() {
    assert_eq!(eval("1 + 2 * 3"), json!(7));
    assert_eq!(eval("(1 + 2) * 3"), json!(9));
    assert_eq!(eval("10 - 4 - 3"), json!(3));
    assert_eq!(eval("12 / 3 / 2"), json!(2));
    assert_eq!(eval("7 % 4 * 2"), json!(6));
    assert_eq!(eval("-2 * 3 + 1"), json!(-5));
    assert_eq!(eval("1 + 2 > 2 && 3 < 4"), json!(true));
    assert_eq!(eval("true || false && false"), json!(true));
    assert_eq!(eval("!false == true"), json!(true));
    assert_eq!(eval("1 == 1 ? \"a\" : \"b\""), json!("a"));
    assert_eq!(eval("false ? 1 : true ? 2 : 3"), json!(2));
    assert_eq!(eval("2 + 3 == 5"), json!(true));
    assert_eq!(eval("1 < 2 == true"), json!(true));
}

#[test]
fn equality_does_not_convert_types() {
    assert_eq!(eval("\"1\" == 1"), json!(false));
    assert_eq!(eval("1.0 == 1"), json!(true));
    assert_eq!(eval("[1, \"a\"] == [1, \"a\"]"), json!(true));
    assert_eq!(eval("{a = 1} != {a = 2}"), json!(true));
    assert_eq!(eval("null == null"), json!(true));
}

#[test]
fn arithmetic_errors_are_errors() {
    assert_eq!(eval("1 / 0"), json!("<error>"));
    assert_eq!(eval("\"x\" + 1"), json!("<error>"));
    assert_eq!(eval("\"2\" + 1"), json!(3));
}

#[test]
fn logic_with_unknowns_is_kleene() {
    let files = [("v.tf", "variable \"x\" {}\n")];
    let o = TfOptions::default();
    assert_eq!(eval_in(&files, &o, "var.x && false"), json!(false));
    assert_eq!(eval_in(&files, &o, "true || var.x"), json!(true));
    assert_eq!(eval_in(&files, &o, "var.x && true"), json!("<unknown>"));
    assert_eq!(eval_in(&files, &o, "var.x ? \"same\" : \"same\""), json!("same"));
    assert_eq!(eval_in(&files, &o, "var.x ? 1 : 2"), json!("<unknown>"));
    assert_eq!(eval_in(&files, &o, "var.x == 1"), json!("<unknown>"));
}

#[test]
fn templates_and_directives() {
    assert_eq!(eval("\"a-${1 + 1}-b\""), json!("a-2-b"));
    assert_eq!(eval("\"${true}\""), json!(true));
    assert_eq!(eval("\"%{ if 1 < 2 }yes%{ else }no%{ endif }\""), json!("yes"));
    assert_eq!(eval("\"%{ for x in [1, 2, 3] }${x},%{ endfor }\""), json!("1,2,3,"));
    assert_eq!(
        eval("\"%{ for k, v in {a = 1, b = 2} }${k}=${v};%{ endfor }\""),
        json!("a=1;b=2;")
    );
    assert_eq!(eval("\"$${literal} %%{x}\""), json!("${literal} %{x}"));
    assert_eq!(eval("<<-EOT\n    a ${1}\n      b\n    EOT\n"), json!("a 1\n  b\n"));
    assert_eq!(
        eval("<<EOT\n%{ for s in [\"x\", \"y\"] ~}\n${s}\n%{ endfor ~}\nEOT\n"),
        json!("x\ny\n")
    );
    assert_eq!(eval("\"a ${null}\""), json!("<error>"));
}

#[test]
fn for_expressions() {
    assert_eq!(eval("[for x in [1, 2, 3] : x * 2 if x != 2]"), json!([2, 6]));
    assert_eq!(
        eval("{for k, v in {b = 1, a = 2} : v => k}"),
        json!({"2": "a", "1": "b"})
    );
    assert_eq!(
        eval("{for x in [\"a\", \"b\", \"a\"] : x => x...}"),
        json!({"a": ["a", "a"], "b": ["b"]})
    );
    assert_eq!(eval("{for x in [\"a\", \"a\"] : x => x}"), json!("<error>"));
    assert_eq!(eval("[for i, x in [\"p\", \"q\"] : \"${i}${x}\"]"), json!(["0p", "1q"]));
}

#[test]
fn splats() {
    assert_eq!(eval("[{a = 1}, {a = 2}][*].a"), json!([1, 2]));
    assert_eq!(eval("[{a = {b = 1}}][*].a.b"), json!([1]));
    assert_eq!(eval("null[*]"), json!([]));
    assert_eq!(eval("{a = 1}[*].a"), json!([1]));
    assert_eq!(eval("[[1, 2]].*[0]"), json!([1]));
}

#[test]
fn indexes_and_attributes() {
    assert_eq!(eval("[1, 2][1]"), json!(2));
    assert_eq!(eval("{a = {b = 3}}.a.b"), json!(3));
    assert_eq!(eval("{a = {b = 3}}[\"a\"][\"b\"]"), json!(3));
    assert_eq!(eval("[1][5]"), json!("<error>"));
    assert_eq!(eval("{a = 1}.b"), json!("<error>"));
}

#[test]
fn variables_defaults_tfvars_and_command_line() {
    let files = [
        (
            "v.tf",
            "variable \"a\" { default = \"d\" }\nvariable \"b\" { default = \"d\" }\nvariable \"c\" { default = \"d\" }\nvariable \"n\" {\n  type = number\n}\nvariable \"l\" {\n  type = list(string)\n}\n",
        ),
        ("terraform.tfvars", "b = \"file\"\nc = \"file\"\n"),
    ];
    let o = TfOptions {
        vars: vec![
            ("c".into(), "flag".into()),
            ("n".into(), "8080".into()),
            ("l".into(), "[\"x\", \"y\"]".into()),
        ],
        var_files: vec![],
        ..Default::default()
    };
    assert_eq!(
        eval_in(&files, &o, "[var.a, var.b, var.c]"),
        json!(["d", "file", "flag"])
    );
    assert_eq!(eval_in(&files, &o, "var.n + 1"), json!(8081));
    assert_eq!(eval_in(&files, &o, "var.l"), json!(["x", "y"]));
    assert_eq!(eval_in(&files, &TfOptions::default(), "var.n"), json!("<unknown>"));
}

#[test]
fn declared_types_convert_and_fill_optional_attributes() {
    let files = [(
        "v.tf",
        "variable \"o\" {\n  type = object({\n    name = string\n    encrypted = optional(bool, true)\n    port = optional(number)\n  })\n  default = { name = 5 }\n}\nvariable \"s\" {\n  type = set(string)\n  default = [\"b\", \"a\", \"b\"]\n}\nvariable \"flag\" {\n  type = bool\n  default = \"true\"\n}\n",
    )];
    let o = TfOptions::default();
    assert_eq!(
        eval_in(&files, &o, "var.o"),
        json!({"name": "5", "encrypted": true, "port": null})
    );
    assert_eq!(eval_in(&files, &o, "var.s"), json!(["a", "b"]));
    assert_eq!(eval_in(&files, &o, "var.flag"), json!(true));
}

#[test]
fn locals_are_evaluated_in_dependency_order() {
    let files = [
        ("b.tf", "locals {\n  full = \"${local.base}-logs\"\n}\n"),
        (
            "a.tf",
            "locals {\n  base = lower(var.env)\n}\nvariable \"env\" { default = \"PROD\" }\n",
        ),
    ];
    assert_eq!(eval_in(&files, &TfOptions::default(), "local.full"), json!("prod-logs"));
}

#[test]
fn cycles_are_unknown_with_a_notice() {
    let files = [("a.tf", "locals {\n  a = local.b\n  b = local.a\n  c = 1\n}\n")];
    let p = project(&files);
    let ev = Evaluator::new(&p, &p.modules[0], &TfOptions::default());
    assert_eq!(shown(&ev.local("a", 0, None)), json!("<unknown>"));
    assert_eq!(shown(&ev.local("c", 0, None)), json!(1));
    let notices = ev.notices();
    assert!(
        notices.iter().any(|n| n.message.contains("depends on itself")),
        "{notices:?}"
    );
}

#[test]
fn resource_references_read_arguments_and_leave_the_rest_computed() {
    let files = [(
        "main.tf",
        "resource \"aws_kms_key\" \"k\" {\n  description = \"key\"\n}\nresource \"aws_s3_bucket\" \"b\" {\n  count = 2\n  bucket = \"b-${count.index}\"\n}\nresource \"aws_sqs_queue\" \"q\" {\n  for_each = { a = \"x\", b = \"y\" }\n  name = \"q-${each.key}-${each.value}\"\n}\ndata \"aws_caller_identity\" \"me\" {}\n",
    )];
    let o = TfOptions::default();
    assert_eq!(eval_in(&files, &o, "aws_kms_key.k.description"), json!("key"));
    assert_eq!(eval_in(&files, &o, "aws_kms_key.k.arn"), json!("<unknown>"));
    assert_eq!(eval_in(&files, &o, "aws_s3_bucket.b[1].bucket"), json!("b-1"));
    assert_eq!(eval_in(&files, &o, "aws_s3_bucket.b[*].bucket"), json!(["b-0", "b-1"]));
    assert_eq!(eval_in(&files, &o, "aws_sqs_queue.q[\"b\"].name"), json!("q-b-y"));
    assert_eq!(eval_in(&files, &o, "length(aws_sqs_queue.q)"), json!(2));
    assert_eq!(
        eval_in(&files, &o, "data.aws_caller_identity.me.account_id"),
        json!("<unknown>")
    );
    assert_eq!(eval_in(&files, &o, "aws_s3_bucket.b[5].bucket"), json!("<error>"));
}

#[test]
fn references_remember_their_resource() {
    let files = [("main.tf", "resource \"aws_kms_key\" \"k\" {}\n")];
    let p = project(&[files[0], ("x.tf", "locals {\n  arn = aws_kms_key.k.arn\n}\n")]);
    let ev = Evaluator::new(&p, &p.modules[0], &TfOptions::default());
    let v = ev.local("arn", 0, None);
    assert_eq!(v.reference.as_deref(), Some("aws_kms_key.k"));
    assert_eq!(v.unknown_reason(), Some(&Unknown::Computed));
}

#[test]
fn dynamic_blocks_expand_into_nested_blocks() {
    let files = [(
        "main.tf",
        "variable \"ports\" { default = [22, 443] }\nvariable \"unset\" {}\nresource \"aws_security_group\" \"g\" {\n  dynamic \"ingress\" {\n    for_each = var.ports\n    iterator = p\n    content {\n      from_port = p.value\n      cidr_blocks = [\"0.0.0.0/0\"]\n    }\n  }\n  egress {\n    from_port = 0\n  }\n  dynamic \"egress\" {\n    for_each = var.unset\n    content {\n      from_port = egress.value\n    }\n  }\n}\n",
    )];
    let o = TfOptions::default();
    assert_eq!(
        eval_in(&files, &o, "aws_security_group.g.ingress[*].from_port"),
        json!([22, 443])
    );
    assert_eq!(eval_in(&files, &o, "length(aws_security_group.g.egress)"), json!(2));
    assert_eq!(
        eval_in(&files, &o, "aws_security_group.g.egress[1]"),
        json!("<unknown>")
    );
}

#[test]
fn a_count_terraform_rejects_creates_nothing() {
    for count in ["\"-5\"", "1.5", "[\"a\"]", "null"] {
        let text = format!("resource \"aws_instance\" \"i\" {{\n  count = {count}\n  ami = \"ami-1\"\n}}\n");
        let files = [("main.tf", text.as_str())];
        let p = project(&files);
        let ev = Evaluator::new(&p, &p.modules[0], &TfOptions::default());
        let block = p.modules[0].blocks().next().unwrap().1;
        assert!(ev.instances_of(block, "aws_instance.i").is_empty(), "{count}");
        assert!(
            ev.notices().iter().any(|n| n.message.contains("Terraform rejects it")),
            "{count}"
        );
    }
}

#[test]
fn too_many_instances_are_not_expanded() {
    let files = [(
        "main.tf",
        "resource \"aws_s3_bucket\" \"b\" {\n  count = 100000\n  bucket = \"b-${count.index}\"\n}\n",
    )];
    let p = project(&files);
    let ev = Evaluator::new(&p, &p.modules[0], &TfOptions::default());
    let block = p.modules[0].blocks().next().unwrap().1;
    assert!(matches!(
        &*ev.instances_of(block, "aws_s3_bucket.b"),
        Instances::Unknown(_)
    ));
    assert!(ev.notices().iter().any(|n| n.message.contains("100000 instances")));
}

#[test]
fn path_and_workspace() {
    assert_eq!(eval("path.module"), json!("."));
    assert_eq!(eval("terraform.workspace"), json!("default"));
}

#[test]
fn meta_arguments_name_objects_without_evaluating_them() {
    let files = [(
        "main.tf",
        "resource \"aws_iam_role\" \"r\" {\n  name = \"r\"\n}\nresource \"aws_s3_bucket\" \"b\" {\n  provider   = aws.west\n  depends_on = [aws_iam_role.r, module.m]\n  lifecycle {\n    ignore_changes = [tags[\"x\"]]\n  }\n}\n",
    )];
    let o = TfOptions::default();
    assert_eq!(eval_in(&files, &o, "aws_s3_bucket.b.provider"), json!("aws.west"));
    assert_eq!(
        eval_in(&files, &o, "aws_s3_bucket.b.depends_on"),
        json!(["aws_iam_role.r", "module.m"])
    );
    assert_eq!(
        eval_in(&files, &o, "aws_s3_bucket.b.lifecycle[0].ignore_changes"),
        json!(["tags[\"x\"]"])
    );
}

#[test]
fn huge_values_become_unknown_with_a_notice() {
    let files = [(
        "a.tf",
        "locals {\n  big = range(60000)\n  small = length(range(100))\n}\n",
    )];
    let p = project(&files);
    let ev = Evaluator::new(&p, &p.modules[0], &TfOptions::default());
    assert_eq!(shown(&ev.local("big", 0, None)), json!("<unknown>"));
    assert_eq!(shown(&ev.local("small", 0, None)), json!(100));
    assert!(ev.notices().iter().any(|n| n.message.contains("larger than")));
}

#[test]
fn subject_values_leave_type_constraints_alone_and_share_output_values() {
    let files = [(
        "main.tf",
        "variable \"v\" {\n  type    = map(object({ a = string }))\n  default = { k = { a = \"x\" } }\n}\noutput \"o\" {\n  value       = var.v.k.a\n  description = \"d\"\n}\n",
    )];
    let p = project(&files);
    let ev = Evaluator::new(&p, &p.modules[0], &TfOptions::default());
    let block = |ty: &str| p.modules[0].blocks().map(|(_, b)| b).find(|b| &*b.ty == ty).unwrap();
    let variable = ev.subject_value(block("variable"), None);
    assert_eq!(
        shown(&variable),
        json!({ "type": "<unknown>", "default": { "k": { "a": "x" } } })
    );
    let output = ev.subject_value(block("output"), None);
    assert_eq!(shown(&output), json!({ "value": "x", "description": "d" }));
    // The subject's value is the output's: a reference reads it, not evaluated again.
    assert!(ev.is_computed(&["output.", "o"]));
    assert_eq!(shown(&ev.output("o", None)), json!("x"));
}

#[test]
fn subjects_and_references_share_what_is_evaluated_once() {
    let files = [(
        "main.tf",
        "resource \"aws_s3_bucket\" \"a\" {\n  count  = length(local.names)\n  bucket = \"logs-${count.index}\"\n  acl    = local.acl\n}\nlocals {\n  names = [\"x\", \"y\"]\n  acl   = \"private\"\n}\nresource \"aws_s3_bucket_policy\" \"p\" {\n  bucket = aws_s3_bucket.a[1].bucket\n  policy = \"${aws_s3_bucket_policy.p.policy}-x\"\n}\n",
    )];
    let p = project(&files);
    let ev = Evaluator::new(&p, &p.modules[0], &TfOptions::default());
    let block = |ty: &str| {
        p.modules[0]
            .blocks()
            .map(|(_, b)| b)
            .find(|b| b.labels.first().is_some_and(|l| &**l == ty))
            .unwrap()
    };
    let bucket = block("aws_s3_bucket");
    let instances = ev.instances_of(bucket, "aws_s3_bucket.a");
    // `count` names no instance: its value serves the expansion and every instance.
    let count = &bucket.body.attribute("count").unwrap().value;
    assert!(ev.kept_value(expression_address(count), &unscoped(), 0).is_some());
    let list = instances.list();
    assert_eq!(list.len(), 2);
    let second = ev.subject_value(bucket, Some(&list[1]));
    assert_eq!(
        shown(&second),
        json!({ "count": 2, "bucket": "logs-1", "acl": "private" })
    );
    // The reference reads the body the subject kept, under the instance's scope.
    assert!(ev.kept_value(body_address(&bucket.body), &list[1].suffix, 0).is_some());
    let policy = ev.subject_value(block("aws_s3_bucket_policy"), None);
    assert_eq!(shown(&policy), json!({ "bucket": "logs-1", "policy": "<unknown>" }));
    assert!(ev.notices().iter().any(|n| n.message.contains("depends on itself")));
    // An attribute that names the instance is kept per instance, one that
    // does not once for all of them.
    let attribute = |name: &str| &bucket.body.attribute(name).unwrap().value;
    assert_eq!(&*expression_scope(attribute("bucket"), &list[0].suffix), "[0]");
    assert_eq!(&*expression_scope(attribute("acl"), &list[0].suffix), "");
    // Values evaluated again give the same, whether kept or not.
    let first = ev.subject_value(bucket, Some(&list[0]));
    assert_eq!(
        shown(&first),
        json!({ "count": 2, "bucket": "logs-0", "acl": "private" })
    );
    assert_eq!(ev.subject_value(bucket, Some(&list[1])), second);
}

#[test]
fn templates_keep_their_known_beginning_and_end() {
    let files = [(
        "main.tf",
        "resource \"google_service_account\" \"app\" {\n  account_id = \"app\"\n}\nvariable \"group\" {\n  type = string\n}\nlocals {\n  member = \"serviceAccount:${google_service_account.app.email}\"\n  both   = \"group:${var.group}@example.com\"\n  bare   = \"${var.group}${var.group}\"\n  sa_member = google_service_account.app.member\n}\n",
    )];
    let p = project(&files);
    let ev = Evaluator::new(&p, &p.modules[0], &TfOptions::default());
    let text = |name: &str| match ev.local(name, 0, None).kind {
        ValKind::Unknown(Unknown::PartialText { prefix, suffix, why }) => {
            Some((prefix.to_string(), suffix.to_string(), *why))
        }
        _ => None,
    };
    assert_eq!(
        text("both"),
        Some((
            "group:".into(),
            "@example.com".into(),
            Unknown::UnsetVariable("group".into())
        ))
    );
    // Nothing known: a plain unknown value.
    assert_eq!(text("bare"), None);
    // A service account's address has a documented form, kept through
    // templates; so has its `member` attribute.
    let gsa = (
        String::from("serviceAccount:"),
        String::from(".iam.gserviceaccount.com"),
        Unknown::Computed,
    );
    assert_eq!(text("sa_member"), Some(gsa.clone()));
    assert_eq!(text("member"), Some(gsa));
    assert!(ev.local("bare", 0, None).is_unknown());
}
