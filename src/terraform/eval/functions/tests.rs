//! Every function, by family: `(expression, expected)` with unknowns shown
//! as `"<unknown>"` and errors as `"<error>"`.

use serde_json::{Value, json};

use super::FAMILIES;
use crate::terraform::TfOptions;
use crate::terraform::eval::tests::{eval, eval_in};

fn check(cases: &[(&str, Value)]) {
    let mut failures = Vec::new();
    for (expr, want) in cases {
        let got = eval(expr);
        if &got != want {
            failures.push(format!("{expr}\n    want {want}\n    got  {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn string_functions() {
    check(&[
        ("chomp(\"hello\\n\\r\\n\")", json!("hello")),
        ("endswith(\"hello\", \"lo\")", json!(true)),
        ("startswith(\"hello\", \"x\")", json!(false)),
        ("strcontains(\"hello\", \"ell\")", json!(true)),
        (
            "format(\"%s-%03d-%.2f-%v-%q-%t\", \"a\", 7, 3.14159, 2, \"q\", true)",
            json!("a-007-3.14-2-\"q\"-true"),
        ),
        ("format(\"%-4s|%4s|%%\", \"ab\", \"cd\")", json!("ab  |  cd|%")),
        ("format(\"%[2]s %[1]s\", \"a\", \"b\")", json!("b a")),
        (
            "format(\"%x %X %o %b %+d\", 255, 255, 8, 5, 3)",
            json!("ff FF 10 101 +3"),
        ),
        ("format(\"%v\", [1, \"a\"])", json!("[1,\"a\"]")),
        ("format(\"%d\", 1.5)", json!("<error>")),
        ("format(\"%s %s\", \"a\")", json!("<error>")),
        ("formatlist(\"%s=%s\", [\"a\", \"b\"], \"x\")", json!(["a=x", "b=x"])),
        ("formatlist(\"%s%s\", [\"a\"], [\"b\", \"c\"])", json!("<error>")),
        ("indent(2, \"a\\nb\")", json!("a\n  b")),
        ("join(\",\", [\"a\", \"b\"], [\"c\"])", json!("a,b,c")),
        ("join(\"-\", [1, true])", json!("1-true")),
        ("lower(\"ABC\")", json!("abc")),
        ("upper(\"abc\")", json!("ABC")),
        ("title(\"hello world-wide\")", json!("Hello World-Wide")),
        ("regex(\"[a-z]+\", \"123abc456\")", json!("abc")),
        ("regex(\"(\\\\d+)-(\\\\d+)\", \"10-20\")", json!(["10", "20"])),
        (
            "regex(\"(?P<k>\\\\w+)=(?P<v>\\\\w+)\", \"a=b\")",
            json!({"k": "a", "v": "b"}),
        ),
        ("regex(\"x\", \"abc\")", json!("<error>")),
        ("regexall(\"\\\\d\", \"a1b2\")", json!(["1", "2"])),
        ("replace(\"a-b-c\", \"-\", \"_\")", json!("a_b_c")),
        ("replace(\"a1b22\", \"/\\\\d+/\", \"#\")", json!("a#b#")),
        ("replace(\"ab\", \"/(a)(b)/\", \"$2$1\")", json!("ba")),
        ("split(\",\", \"a,b,,c\")", json!(["a", "b", "", "c"])),
        ("split(\",\", \"\")", json!([""])),
        ("strrev(\"abc\")", json!("cba")),
        ("substr(\"hello world\", 1, 4)", json!("ello")),
        ("substr(\"hello\", -3, -1)", json!("llo")),
        ("substr(\"hi\", 5, 1)", json!("<error>")),
        ("trim(\"?!hello?!\", \"!?\")", json!("hello")),
        ("trimprefix(\"helloworld\", \"hello\")", json!("world")),
        ("trimsuffix(\"helloworld\", \"world\")", json!("hello")),
        ("trimspace(\"  a \\n\")", json!("a")),
    ]);
}

#[test]
fn numeric_functions() {
    check(&[
        ("abs(-3)", json!(3)),
        ("ceil(1.2)", json!(2)),
        ("floor(1.8)", json!(1)),
        ("log(8, 2)", json!(3)),
        ("max(1, 5, 3)", json!(5)),
        ("min(4, 2, 9)", json!(2)),
        ("max([1, 7]...)", json!(7)),
        ("parseint(\"ff\", 16)", json!(255)),
        ("parseint(\"-101\", 2)", json!(-5)),
        ("parseint(\"12\", 2)", json!("<error>")),
        ("pow(2, 10)", json!(1024)),
        ("signum(-4)", json!(-1)),
        ("signum(0)", json!(0)),
    ]);
}

#[test]
fn collection_functions() {
    check(&[
        ("alltrue([true, \"true\"])", json!(true)),
        ("alltrue([])", json!(true)),
        ("anytrue([false, true])", json!(true)),
        ("anytrue([])", json!(false)),
        ("chunklist([1, 2, 3], 2)", json!([[1, 2], [3]])),
        ("coalesce(null, \"\", \"b\")", json!("b")),
        ("coalesce(null, null)", json!("<error>")),
        ("coalescelist([], [1])", json!([1])),
        ("compact([\"a\", \"\", null, \"b\"])", json!(["a", "b"])),
        ("concat([1], [2, 3])", json!([1, 2, 3])),
        ("contains([\"a\", \"b\"], \"b\")", json!(true)),
        ("contains([1], \"1\")", json!(false)),
        ("distinct([1, 2, 1])", json!([1, 2])),
        ("element([\"a\", \"b\"], 3)", json!("b")),
        ("flatten([[1, [2]], 3, []])", json!([1, 2, 3])),
        ("index([\"a\", \"b\"], \"b\")", json!(1)),
        ("index([\"a\"], \"z\")", json!("<error>")),
        ("keys({b = 1, a = 2})", json!(["a", "b"])),
        ("values({b = 1, a = 2})", json!([2, 1])),
        ("length([1, 2])", json!(2)),
        ("length({a = 1})", json!(1)),
        ("length(\"héllo\")", json!(5)),
        ("lookup({a = 1}, \"a\")", json!(1)),
        ("lookup({a = 1}, \"b\", 0)", json!(0)),
        ("lookup({a = 1}, \"b\")", json!("<error>")),
        ("matchkeys([\"i1\", \"i2\"], [\"us\", \"eu\"], [\"eu\"])", json!(["i2"])),
        ("merge({a = 1, b = 1}, {b = 2}, null)", json!({"a": 1, "b": 2})),
        ("one([])", json!(null)),
        ("one([5])", json!(5)),
        ("one([1, 2])", json!("<error>")),
        ("range(3)", json!([0, 1, 2])),
        ("range(1, 4)", json!([1, 2, 3])),
        ("range(5, 0, -2)", json!([5, 3, 1])),
        ("range(0, 1, 0)", json!("<error>")),
        ("reverse([1, 2])", json!([2, 1])),
        ("setintersection([\"a\", \"b\"], [\"b\", \"c\"])", json!(["b"])),
        ("setproduct([\"a\", \"b\"], [1])", json!([["a", 1], ["b", 1]])),
        ("setsubtract([\"a\", \"b\"], [\"a\"])", json!(["b"])),
        ("setunion([\"b\"], [\"a\", \"b\"])", json!(["a", "b"])),
        ("slice([1, 2, 3, 4], 1, 3)", json!([2, 3])),
        ("slice([1], 0, 2)", json!("<error>")),
        ("sort([\"b\", \"a\", \"c\"])", json!(["a", "b", "c"])),
        ("sum([1, 2.5])", json!(3.5)),
        (
            "transpose({a = [\"1\", \"2\"], b = [\"2\"]})",
            json!({"1": ["a"], "2": ["a", "b"]}),
        ),
        ("zipmap([\"a\", \"b\"], [1, 2])", json!({"a": 1, "b": 2})),
    ]);
}

#[test]
fn encoding_functions() {
    check(&[
        ("base64encode(\"hello\")", json!("aGVsbG8=")),
        ("base64decode(\"aGVsbG8=\")", json!("hello")),
        ("base64decode(\"!!\")", json!("<error>")),
        (
            "jsonencode({b = [1, true, null], a = \"x\"})",
            json!("{\"a\":\"x\",\"b\":[1,true,null]}"),
        ),
        ("jsondecode(\"{\\\"a\\\": [1, 2]}\")", json!({"a": [1, 2]})),
        ("jsondecode(\"{\")", json!("<error>")),
        ("textencodebase64(\"hi\", \"UTF-8\")", json!("aGk=")),
        ("textdecodebase64(\"aGk=\", \"UTF-8\")", json!("hi")),
        ("textencodebase64(\"hi\", \"UTF-16LE\")", json!("<unknown>")),
        ("urlencode(\"a b&c\")", json!("a%20b%26c")),
        ("csvdecode(\"a,b\\n1,\\\"x,y\\\"\\n\")", json!([{"a": "1", "b": "x,y"}])),
    ]);
}

#[test]
fn type_conversion_functions() {
    check(&[
        ("tobool(\"true\")", json!(true)),
        ("tobool(\"yes\")", json!("<error>")),
        ("tonumber(\"42\")", json!(42)),
        ("tonumber(true)", json!("<error>")),
        ("tostring(42)", json!("42")),
        ("tostring([1])", json!("<error>")),
        ("tolist([\"a\"])", json!(["a"])),
        ("toset([\"b\", \"a\", \"b\"])", json!(["a", "b"])),
        ("tomap({a = 1})", json!({"a": 1})),
        ("sensitive(\"s\")", json!("s")),
        ("nonsensitive(\"s\")", json!("s")),
        ("try({a = 1}.b, \"fallback\")", json!("fallback")),
        ("try(1, 2)", json!(1)),
        ("try({}.a, [][0])", json!("<error>")),
        ("can({a = 1}.a)", json!(true)),
        ("can({a = 1}.b)", json!(false)),
        ("can(regex(\"^[a-z]+$\", \"ABC\"))", json!(false)),
    ]);
}

#[test]
fn try_and_can_do_not_guess_unknowns() {
    let files = [("v.tf", "variable \"x\" {}\n")];
    let o = TfOptions::default();
    assert_eq!(eval_in(&files, &o, "try(var.x, \"fallback\")"), json!("<unknown>"));
    assert_eq!(eval_in(&files, &o, "can(var.x)"), json!("<unknown>"));
    assert_eq!(eval_in(&files, &o, "coalesce(var.x, \"b\")"), json!("<unknown>"));
    assert_eq!(eval_in(&files, &o, "coalesce(\"a\", var.x)"), json!("a"));
    assert_eq!(eval_in(&files, &o, "length([var.x, 1])"), json!(2));
    assert_eq!(eval_in(&files, &o, "upper(var.x)"), json!("<unknown>"));
    assert_eq!(eval_in(&files, &o, "contains([var.x, \"a\"], \"a\")"), json!(true));
    assert_eq!(eval_in(&files, &o, "contains([var.x], \"a\")"), json!("<unknown>"));
    assert_eq!(eval_in(&files, &o, "jsonencode({a = var.x})"), json!("<unknown>"));
    assert_eq!(eval_in(&files, &o, "merge({a = var.x}, {b = 1}).b"), json!(1));
}

#[test]
fn network_functions() {
    check(&[
        ("cidrsubnet(\"10.0.0.0/16\", 8, 2)", json!("10.0.2.0/24")),
        ("cidrsubnet(\"10.1.2.3/16\", 4, 15)", json!("10.1.240.0/20")),
        (
            "cidrsubnet(\"fd00:fd12:3456:7890::/56\", 16, 162)",
            json!("fd00:fd12:3456:7800:a200::/72"),
        ),
        ("cidrsubnet(\"10.0.0.0/30\", 4, 0)", json!("<error>")),
        ("cidrsubnet(\"10.0.0.0/16\", 2, 4)", json!("<error>")),
        ("cidrhost(\"10.12.112.0/20\", 16)", json!("10.12.112.16")),
        ("cidrhost(\"10.12.112.0/20\", -1)", json!("10.12.127.255")),
        ("cidrhost(\"10.0.0.0/30\", 4)", json!("<error>")),
        ("cidrnetmask(\"172.16.0.0/12\")", json!("255.240.0.0")),
        (
            "cidrsubnets(\"10.1.0.0/16\", 4, 4, 8, 4)",
            json!(["10.1.0.0/20", "10.1.16.0/20", "10.1.32.0/24", "10.1.48.0/20"]),
        ),
        ("cidrsubnet(\"not-a-cidr\", 1, 1)", json!("<error>")),
    ]);
}

#[test]
fn address_ranges() {
    let range = |text: &str| super::IpRange::parse(text);
    assert_eq!(range("0.0.0.0/0").map(|r| r.prefix()), Some(0));
    // Host bits are ignored, as `cidrsubnet` ignores them.
    assert_eq!(range("10.1.2.3/0").map(|r| r.prefix()), Some(0));
    assert_eq!(range("::/0").map(|r| r.prefix()), Some(0));
    assert_eq!(range("10.68.0.0").map(|r| r.prefix()), Some(32));
    for unreadable in ["/0", "VirtualNetwork", "*", "10.0.0.0/33", ""] {
        assert_eq!(range(unreadable), None, "{unreadable}");
    }
    for private in [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "172.31.255.0/24",
        "192.168.0.0/16",
        "10.1.2.3",
    ] {
        assert!(range(private).unwrap().is_private(), "{private}");
    }
    for other in [
        "0.0.0.0/0",
        "8.0.0.0/7",
        "172.32.0.0/16",
        "172.16.0.0/11",
        "fd00::/8",
        "192.169.0.0/16",
    ] {
        assert!(!range(other).unwrap().is_private(), "{other}");
    }
}

#[test]
fn filesystem_hash_and_time_functions() {
    check(&[
        ("basename(\"foo/bar/baz.txt\")", json!("baz.txt")),
        ("dirname(\"foo/bar/baz.txt\")", json!("foo/bar")),
        ("dirname(\"baz.txt\")", json!(".")),
        (
            "sha256(\"hello\")",
            json!("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
        ),
        (
            "base64sha256(\"hello\")",
            json!("LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="),
        ),
        (
            "sha512(\"\")",
            json!(
                "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
            ),
        ),
        (
            "base64sha512(\"\")",
            json!("z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="),
        ),
        ("uuid()", json!("<unknown>")),
        ("abspath(\"x\")", json!("<unknown>")),
        ("pathexpand(\"~/x\")", json!("<unknown>")),
        ("templatefile(\"missing.tpl\", {})", json!("<error>")),
        ("timestamp()", json!("<unknown>")),
        ("bcrypt(\"x\")", json!("<unknown>")),
        ("fileexists(\"/nonexistent/x\")", json!(false)),
        ("file(\"/etc/hostname\")", json!("<unknown>")),
        ("file(\"missing.txt\")", json!("<error>")),
        ("filebase64(\"missing.bin\")", json!("<error>")),
        ("no_such_function(1)", json!("<unknown>")),
        ("provider::aws::arn_parse(\"x\")", json!("<unknown>")),
    ]);
}

#[test]
fn files_are_read_inside_the_scanned_tree_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("policy.json"), "{\"Effect\": \"Allow\"}").unwrap();
    std::fs::write(
        dir.path().join("user_data.tpl"),
        "%{ for p in ports ~}\nport ${p}\n%{ endfor ~}\nname=${name}",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let text = "locals {\n  p = jsondecode(file(\"${path.module}/policy.json\")).Effect\n  e = fileexists(\"policy.json\")\n  b = filebase64(\"policy.json\")\n  t = templatefile(\"${path.module}/user_data.tpl\", { ports = [22, 80], name = \"web\" })\n}\n";
    let parsed = crate::hcl::parse_hcl(crate::source::FileId(0), text, std::time::Duration::from_secs(5)).unwrap();
    let module = crate::terraform::Module {
        dir: dir.path().to_path_buf(),
        files: vec![crate::terraform::TfFile {
            file: crate::source::FileId(0),
            body: parsed.body,
            comments: vec![],
        }],
        var_files: vec![],
    };
    let p = crate::terraform::Project::new(vec![module], vec![]);
    let ev = crate::terraform::eval::Evaluator::new(&p, &p.modules[0], &TfOptions::default());
    let get = |name: &str| {
        let expr = &p.modules[0].files[0].body.blocks[0].body.attribute(name).unwrap().value;
        crate::terraform::eval::tests::shown(&ev.eval(expr, &Default::default()))
    };
    assert_eq!(get("p"), json!("Allow"));
    assert_eq!(get("e"), json!(true));
    assert_eq!(get("b"), json!("eyJFZmZlY3QiOiAiQWxsb3cifQ=="));
    assert_eq!(get("t"), json!("port 22\nport 80\nname=web"));
}

/// Every implemented function has a case above.
#[test]
fn every_function_is_tested() {
    let source = include_str!("tests.rs");
    let missing: Vec<&str> = FAMILIES
        .iter()
        .flat_map(|(_, names)| names.iter())
        .filter(|name| !source.contains(&format!("(\"{name}(")) && !source.contains(&format!("\"{name}(")))
        .copied()
        .collect();
    assert!(missing.is_empty(), "functions without a test: {missing:?}");
    let total: usize = FAMILIES.iter().map(|(_, n)| n.len()).sum();
    assert!(total >= 95, "{total} functions");
}

#[test]
fn jsonencode_keeps_the_known_parts_of_a_partly_unknown_value() {
    use crate::terraform::eval::Evaluator;
    use crate::terraform::eval::tests::project;
    use crate::value::{Unknown, ValKind};
    let files = [
        ("v.tf", "variable \"x\" {}\nresource \"aws_s3_bucket\" \"b\" {}\n"),
        (
            "probe.tf",
            "locals {\n  doc = jsonencode({ a = var.x, b = [\"*\", aws_s3_bucket.b.arn], c = 1 })\n}\n",
        ),
    ];
    let p = project(&files);
    let ev = Evaluator::new(&p, &p.modules[0], &TfOptions::default());
    let v = ev.local("doc", 0, None);
    let ValKind::Unknown(Unknown::PartialJson { why, known }) = &v.kind else {
        panic!("expected a partly known document, got {v:?}");
    };
    assert_eq!(**why, Unknown::UnsetVariable("x".into()));
    let known: Value = serde_json::from_str(known).unwrap();
    assert_eq!(known, json!({ "a": null, "b": ["*", "(known after apply)"], "c": 1 }));
}

#[test]
fn a_json_heredoc_keeps_the_known_parts_around_unknown_interpolations() {
    use crate::terraform::eval::Evaluator;
    use crate::terraform::eval::tests::project;
    use crate::value::{Unknown, ValKind};
    let doc = |body: &str| {
        let files = [
            (
                "v.tf",
                "variable \"x\" {}\nresource \"aws_s3_bucket\" \"b\" {}\n".to_string(),
            ),
            ("probe.tf", format!("locals {{\n  doc = <<EOF\n{body}\nEOF\n}}\n")),
        ];
        let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
        let p = project(&files);
        let ev = Evaluator::new(&p, &p.modules[0], &TfOptions::default());
        ev.local("doc", 0, None)
    };
    // A computed ARN inside a string keeps the text around it; a variable
    // makes its string unknown; a hole between tokens is a value.
    let v = doc(
        r#"{"Resource": ["${aws_s3_bucket.b.arn}/*", "arn:${var.x}"], "Principal": "*", "Sid": ${var.x}, "Id": "a\"${var.x}"}"#,
    );
    let ValKind::Unknown(Unknown::PartialJson { why, known }) = &v.kind else {
        panic!("expected a partly known document, got {v:?}");
    };
    assert_eq!(**why, Unknown::Computed);
    let known: Value = serde_json::from_str(known).unwrap();
    assert_eq!(
        known,
        json!({ "Resource": ["(known after apply)/*", null], "Principal": "*", "Sid": null, "Id": null })
    );
    // Text that is not JSON once its holes are filled stays wholly unknown.
    for not_json in [r#"{"a": 1, ${var.x} }"#, r#"{"${var.x}": 1}"#, "[ unquoted ${var.x} ]"] {
        let v = doc(not_json);
        assert_eq!(
            v.kind,
            ValKind::Unknown(Unknown::UnsetVariable("x".into())),
            "{not_json}"
        );
    }
}

#[test]
fn a_function_of_a_partly_known_value_is_plainly_unknown() {
    use crate::terraform::eval::Evaluator;
    use crate::terraform::eval::tests::project;
    use crate::value::{Unknown, ValKind};
    let files = [
        ("v.tf", "variable \"x\" {}\n"),
        (
            "probe.tf",
            "locals {\n  text = \"3.3.3.3/32,${var.x}\"\n  parts = split(\",\", local.text)\n  upper = upper(local.text)\n  doc = replace(jsonencode({ a = var.x }), \"a\", \"b\")\n  first = coalesce(null, local.text)\n}\n",
        ),
    ];
    let p = project(&files);
    let ev = Evaluator::new(&p, &p.modules[0], &TfOptions::default());
    assert!(matches!(
        ev.local("text", 0, None).kind,
        ValKind::Unknown(Unknown::PartialText { .. })
    ));
    // The template's known start is not the start of what `split`, `upper`
    // or `replace` make of it.
    for name in ["parts", "upper", "doc"] {
        let v = ev.local(name, 0, None);
        assert_eq!(v.kind, ValKind::Unknown(Unknown::UnsetVariable("x".into())), "{name}");
    }
    // Text that cannot be empty is what `coalesce` returns, as it is.
    assert!(matches!(
        ev.local("first", 0, None).kind,
        ValKind::Unknown(Unknown::PartialText { .. })
    ));
}
