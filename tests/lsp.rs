//! `rulesel lsp` driven through its stdio with JSON-RPC, as an editor drives it: diagnostics
//! from the real checker on unsaved buffers, hover, definition, references, completion,
//! document and workspace symbols, rename across files, and bad input answered with errors.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

struct Lsp {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
    /// Notifications received while waiting for responses.
    notes: Vec<Value>,
}

fn read_message(r: &mut impl BufRead) -> Option<Value> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            len = v.parse().ok();
        }
    }
    let mut body = vec![0; len?];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Lsp {
    fn start(root: &Path) -> Lsp {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rulesel"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("rulesel lsp starts");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, incoming) = channel();
        std::thread::spawn(move || {
            while let Some(m) = read_message(&mut stdout) {
                if tx.send(m).is_err() {
                    break;
                }
            }
        });
        let mut lsp = Lsp {
            child,
            stdin,
            incoming,
            next_id: 1,
            notes: Vec::new(),
        };
        let init = lsp.request(
            "initialize",
            json!({"processId": null, "rootUri": uri(root), "capabilities": {}}),
        );
        let caps = &init["result"]["capabilities"];
        for cap in [
            "hoverProvider",
            "definitionProvider",
            "referencesProvider",
            "completionProvider",
            "documentSymbolProvider",
            "workspaceSymbolProvider",
            "renameProvider",
        ] {
            assert!(!caps[cap].is_null(), "no {cap} in {init}");
        }
        lsp.notify("initialized", json!({}));
        lsp
    }

    fn send_raw(&mut self, body: &str) {
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn send(&mut self, msg: Value) {
        self.send_raw(&msg.to_string());
    }

    fn next(&mut self) -> Value {
        self.incoming
            .recv_timeout(Duration::from_secs(60))
            .expect("the server answers within a minute")
    }

    /// The response to a request (notifications on the way are kept).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let m = self.next();
            if m["id"] == json!(id) {
                return m;
            }
            self.notes.push(m);
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The diagnostics the server publishes next for `file`.
    fn diagnostics(&mut self, file: &Path) -> Vec<Value> {
        let want = uri(file);
        loop {
            let m = if self.notes.is_empty() {
                self.next()
            } else {
                self.notes.remove(0)
            };
            if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == want {
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }
}

fn uri(path: &Path) -> Value {
    Value::from(format!("file://{}", path.display()))
}

/// A copy of the repository's rules (prelude and x64) as a workspace.
fn workspace(name: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&root);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(root.join("x64")).unwrap();
    std::fs::copy(repo.join("rules/prelude.rules"), root.join("prelude.rules")).unwrap();
    for e in std::fs::read_dir(repo.join("rules/x64")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, root.join("x64").join(p.file_name().unwrap())).unwrap();
    }
    root
}

/// The position (0-based line, UTF-16 column) of the `nth` occurrence of `needle` in `text`.
fn pos(text: &str, needle: &str, nth: usize) -> Value {
    let at = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("no {nth}th `{needle}`"))
        .0;
    let line = text[..at].matches('\n').count();
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": col})
}

fn at(file: &Path, p: Value) -> Value {
    json!({"textDocument": {"uri": uri(file)}, "position": p})
}

#[test]
fn diagnostics_follow_the_unsaved_buffer() {
    let root = workspace("lsp_diagnostics");
    let arith = root.join("x64/arith.rules");
    let text = std::fs::read_to_string(&arith).unwrap();
    let mut lsp = Lsp::start(&root);
    // Open with a copy of a rule (an overlap) and a rule a higher-priority one shadows.
    let copy = "(rule 1 (lower (has_type (gpr_ty ty) (isub x y))) (binop (AluOp.Sub) ty x y))\n";
    let shadowed =
        "(rule -3 (lower (has_type (gpr_ty ty) (iadd x y))) (binop (AluOp.Add) ty x y))\n";
    let edited = format!("{text}{copy}{shadowed}");
    lsp.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri(&arith), "languageId": "rules", "version": 1, "text": edited}}),
    );
    let diags = lsp.diagnostics(&arith);
    let overlap = diags
        .iter()
        .find(|d| d["message"].as_str().unwrap().starts_with("rules overlap"))
        .unwrap_or_else(|| panic!("no overlap in {diags:?}"));
    assert_eq!(overlap["severity"], 1);
    let copy_line = text.lines().count();
    assert_eq!(overlap["range"]["start"]["line"], copy_line);
    assert!(
        overlap["message"]
            .as_str()
            .unwrap()
            .contains("can both match (lower"),
        "{overlap}"
    );
    let other = &overlap["relatedInformation"][0];
    assert_eq!(other["message"], "the other rule");
    assert_eq!(other["location"]["uri"], uri(&arith));
    // The checker stops at errors, so fix the overlap to see the shadowing warning.
    lsp.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&arith), "version": 2},
               "contentChanges": [{"text": format!("{text}{shadowed}")}]}),
    );
    let diags = lsp.diagnostics(&arith);
    assert!(
        diags.iter().any(|d| d["severity"] == 2
            && d["message"]
                .as_str()
                .unwrap()
                .starts_with("rule can never fire")),
        "{diags:?}"
    );
    // Back to the text on disk: nothing to report.
    lsp.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&arith), "version": 3}, "contentChanges": [{"text": text}]}),
    );
    assert_eq!(lsp.diagnostics(&arith), Vec::<Value>::new());
    assert_eq!(
        std::fs::read_to_string(&arith).unwrap(),
        text,
        "the file on disk is untouched"
    );
}

#[test]
fn hover_definition_references_completion_and_symbols() {
    let root = workspace("lsp_navigation");
    let arith = root.join("x64/arith.rules");
    let types = root.join("x64/types.rules");
    let text = std::fs::read_to_string(&arith).unwrap();
    let types_text = std::fs::read_to_string(&types).unwrap();
    let mut lsp = Lsp::start(&root);
    // A term: its declaration, and the Rust function its extern binds.
    let h = lsp.request(
        "textDocument/hover",
        at(&arith, pos(&text, "put_in_gpr", 0)),
    );
    let v = h["result"]["contents"]["value"].as_str().unwrap();
    assert!(v.contains("(decl put_in_gpr (Value) Gpr)"), "{v}");
    assert!(
        v.contains("extern constructor bound to Rust `put_in_gpr`"),
        "{v}"
    );
    // An opcode and a variable.
    let h = lsp.request("textDocument/hover", at(&arith, pos(&text, "iadd x y)", 0)));
    let v = h["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        v.contains("(iadd (Value Value) Inst)") && v.contains("IR opcode"),
        "{v}"
    );
    let h = lsp.request(
        "textDocument/hover",
        at(&arith, pos(&text, "gpr_ty ty)", 0)),
    );
    let v = h["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        v.contains("(decl gpr_ty (Type) Type)") && v.contains("extern extractor"),
        "{v}"
    );
    let mut p = pos(&text, "(gpr_ty ty)", 0);
    p["character"] = json!(p["character"].as_u64().unwrap() + 8);
    let h = lsp.request("textDocument/hover", at(&arith, p));
    assert_eq!(h["result"]["contents"]["value"], "`ty`: `Type`");
    // Definitions of a term, a type and an enum variant, across files.
    let d = lsp.request(
        "textDocument/definition",
        at(&arith, pos(&text, "put_in_gpr", 0)),
    );
    assert_eq!(d["result"][0]["uri"], uri(&types));
    assert_eq!(
        d["result"][0]["range"]["start"],
        pos(&types_text, "put_in_gpr", 0)
    );
    let d = lsp.request("textDocument/definition", at(&arith, pos(&text, "Gpr", 0)));
    assert_eq!(d["result"][0]["uri"], uri(&types));
    let mut gpr = pos(&types_text, "(type Gpr ", 0);
    gpr["character"] = json!(gpr["character"].as_u64().unwrap() + 6);
    assert_eq!(d["result"][0]["range"]["start"], gpr);
    let d = lsp.request(
        "textDocument/definition",
        at(&arith, pos(&text, "AluOp.Sub", 0)),
    );
    assert_eq!(d["result"][0]["uri"], uri(&arith));
    assert_eq!(d["result"][0]["range"]["start"], pos(&text, "Sub And", 0));
    // References: every use, in every file.
    let r = lsp.request(
        "textDocument/references",
        json!({"textDocument": {"uri": uri(&arith)}, "position": pos(&text, "put_in_gpr", 0),
               "context": {"includeDeclaration": true}}),
    );
    let refs = r["result"].as_array().unwrap();
    let files: std::collections::BTreeSet<&str> =
        refs.iter().map(|l| l["uri"].as_str().unwrap()).collect();
    assert!(files.len() >= 4, "{files:?}");
    let in_arith = refs.iter().filter(|l| l["uri"] == uri(&arith)).count();
    assert_eq!(in_arith, text.matches("(put_in_gpr ").count());
    // Completion: terms and variants with their arity.
    let c = lsp.request(
        "textDocument/completion",
        at(&arith, pos(&text, "put_in_gpr", 0)),
    );
    let items = c["result"].as_array().unwrap();
    let item = |label: &str| {
        items
            .iter()
            .find(|i| i["label"] == label)
            .unwrap_or_else(|| panic!("no {label}"))
    };
    assert_eq!(item("put_in_gpr")["detail"], "1 argument: (Value) Gpr");
    assert_eq!(item("AluOp.Add")["detail"], "0 arguments: () AluOp");
    assert_eq!(item("AluOp.Add")["kind"], 20);
    assert_eq!(item("iadd")["detail"], "2 arguments: (Value Value) Inst");
    // Document and workspace symbols.
    let s = lsp.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri(&arith)}}),
    );
    let names: Vec<&str> = s["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"AluOp") && names.contains(&"alu_imm"),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.starts_with("rule of lower")),
        "{names:?}"
    );
    let s = lsp.request("workspace/symbol", json!({"query": "put_in"}));
    let found: Vec<(&str, &str)> = s["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap(),
                s["location"]["uri"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        found.contains(&("put_in_gpr", uri(&types).as_str().unwrap())),
        "{found:?}"
    );
}

#[test]
fn rename_a_term_across_files() {
    let root = workspace("lsp_rename");
    let arith = root.join("x64/arith.rules");
    let types = root.join("x64/types.rules");
    let text = std::fs::read_to_string(&arith).unwrap();
    let mut lsp = Lsp::start(&root);
    let r = lsp.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": uri(&arith)}, "position": pos(&text, "put_in_gpr", 0),
               "newName": "gpr_of_value"}),
    );
    let changes = r["result"]["changes"]
        .as_object()
        .unwrap_or_else(|| panic!("{r}"));
    let arith_edits = changes[uri(&arith).as_str().unwrap()].as_array().unwrap();
    assert_eq!(arith_edits.len(), text.matches("(put_in_gpr ").count());
    let type_edits = changes[uri(&types).as_str().unwrap()].as_array().unwrap();
    // The declaration and the extern.
    assert!(type_edits.len() >= 2, "{type_edits:?}");
    assert!(arith_edits.iter().all(|e| e["newText"] == "gpr_of_value"));
    // Apply the edits to every file; the program still checks clean.
    for (u, edits) in changes {
        let path = PathBuf::from(u.strip_prefix("file://").unwrap());
        let old = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<String> = old.lines().map(str::to_string).collect();
        let mut edits = edits.as_array().unwrap().clone();
        edits.sort_by_key(|e| {
            std::cmp::Reverse((
                e["range"]["start"]["line"].as_u64(),
                e["range"]["start"]["character"].as_u64(),
            ))
        });
        for e in edits {
            let l = e["range"]["start"]["line"].as_u64().unwrap() as usize;
            let (a, b) = (
                e["range"]["start"]["character"].as_u64().unwrap() as usize,
                e["range"]["end"]["character"].as_u64().unwrap() as usize,
            );
            lines[l].replace_range(a..b, e["newText"].as_str().unwrap());
        }
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_rulesel"))
        .args(["check", "--rules"])
        .arg(&root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Opcodes and variants are not renamed; names must be names.
    let r = lsp.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": uri(&arith)}, "position": pos(&text, "iadd", 0), "newName": "plus"}),
    );
    assert_eq!(r["error"]["code"], -32602, "{r}");
}

#[test]
fn bad_input_gets_error_responses_and_the_server_goes_on() {
    let root = workspace("lsp_bad_input");
    let arith = root.join("x64/arith.rules");
    let text = std::fs::read_to_string(&arith).unwrap();
    let latin1 = root.join("latin1.rules");
    std::fs::write(&latin1, b";; caf\xe9\n").unwrap();
    let mut lsp = Lsp::start(&root);
    // Not JSON.
    lsp.send_raw("{\"jsonrpc\": \"2.0\", \"id\": ");
    let m = lsp.next();
    assert_eq!(m["error"]["code"], -32700, "{m}");
    assert_eq!(m["id"], Value::Null);
    // JSON, but not a message.
    lsp.send_raw("[1, 2, 3]");
    assert_eq!(lsp.next()["error"]["code"], -32700);
    // Parameters of the wrong shape.
    let r = lsp.request("textDocument/hover", json!({"textDocument": 3}));
    assert_eq!(r["error"]["code"], -32602, "{r}");
    // A file that is not UTF-8, and one that does not exist.
    let r = lsp.request(
        "textDocument/hover",
        at(&latin1, json!({"line": 0, "character": 1})),
    );
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not UTF-8"),
        "{r}"
    );
    let r = lsp.request(
        "textDocument/definition",
        at(
            &root.join("missing.rules"),
            json!({"line": 0, "character": 0}),
        ),
    );
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown file"),
        "{r}"
    );
    let r = lsp.request("textDocument/frobnicate", json!({}));
    assert_eq!(r["error"]["code"], -32601, "{r}");
    // Still serving; the unreadable file is reported where it is.
    let h = lsp.request(
        "textDocument/hover",
        at(&arith, pos(&text, "put_in_gpr", 0)),
    );
    assert!(h["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("decl put_in_gpr"));
    lsp.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri(&arith), "languageId": "rules", "version": 1, "text": text}}),
    );
    let d = lsp.diagnostics(&latin1);
    assert!(
        d[0]["message"].as_str().unwrap().contains("not UTF-8"),
        "{d:?}"
    );
    assert_eq!(lsp.request("shutdown", Value::Null)["result"], Value::Null);
    lsp.notify("exit", Value::Null);
    assert!(lsp.child.wait().unwrap().success());
}
