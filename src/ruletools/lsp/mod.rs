//! `rulesel lsp`: a Language Server Protocol server for `.rules` files over stdio.
//!
//! ```text
//!  editor ──JSON-RPC──▶ serve: one message at a time ──▶ Workspace (root + open buffers)
//!                          │                                 │ snapshot: the program's files now
//!                          │                                 ▼
//!                          ├─ on open/change/save/close: dsl::compile (the real checker)
//!                          │      ─▶ publishDiagnostics for every file of the program
//!                          └─ requests: Index (names, signatures, variables from the syntax
//!                                 trees) ─▶ hover, definition, references, completion,
//!                                 symbols, rename
//! ```
//!
//! Messages are read with `lsp-server`'s framing; one that is not valid JSON-RPC gets a
//! `ParseError` response and the server goes on, as it does after a request it cannot answer
//! (an unknown file, a file that is not UTF-8, bad parameters): an error response, never a
//! crash. The program is every `.rules` file under the workspace root (not `target` or hidden
//! directories), with the embedded prelude unless one of them is a `prelude.rules`, checked
//! against the x64 lowering environment, as `rulesel check --rules ROOT` does.

pub mod index;
pub mod workspace;

use crate::dsl::{self, Severity};
use crate::isa::x64::lower::terms::lower_env;
use index::{Found, Index, Kind, SymbolWhat};
use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types as lt;
use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use workspace::{offset, path_of, uri_of, Snapshot, Workspace};

/// Serves LSP over `input` and `output` until `exit` or the end of the input; `Ok(true)` when
/// the client asked for `shutdown` first.
pub fn serve(input: &mut impl BufRead, output: &mut impl Write) -> std::io::Result<bool> {
    let mut server = Server {
        ws: Workspace::default(),
        shut_down: false,
    };
    loop {
        let msg = match Message::read(input) {
            Ok(Some(msg)) => msg,
            Ok(None) => return Ok(server.shut_down),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                let resp = Response::new_err(
                    RequestId::from(0),
                    ErrorCode::ParseError as i32,
                    format!("malformed message: {e}"),
                );
                // JSON-RPC answers a message it cannot parse with a null id.
                let mut value = serde_json::to_value(&resp).expect("a response serialises");
                value["id"] = Value::Null;
                value["jsonrpc"] = Value::from("2.0");
                let text = value.to_string();
                write!(output, "Content-Length: {}\r\n\r\n{text}", text.len())?;
                output.flush()?;
                continue;
            }
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        match msg {
            Message::Request(req) => out.push(Message::Response(server.request(req))),
            Message::Notification(n) => {
                if n.method == "exit" {
                    return Ok(server.shut_down);
                }
                out.extend(server.notification(n));
            }
            Message::Response(_) => {}
        }
        for m in out {
            m.write(output)?;
        }
    }
}

struct Server {
    ws: Workspace,
    shut_down: bool,
}

/// A request's failure: its JSON-RPC error code and message.
type Failure = (ErrorCode, String);

fn params<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, Failure> {
    serde_json::from_value(v)
        .map_err(|e| (ErrorCode::InvalidParams, format!("bad parameters: {e}")))
}

impl Server {
    fn request(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        match self.answer(req) {
            Ok(v) => Response::new_ok(id, v),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        }
    }

    fn answer(&mut self, req: Request) -> Result<Value, Failure> {
        let json =
            |v: serde_json::Result<Value>| v.map_err(|e| (ErrorCode::InternalError, e.to_string()));
        match req.method.as_str() {
            "initialize" => {
                let p: lt::InitializeParams = params(req.params)?;
                #[allow(deprecated)]
                let root = p
                    .workspace_folders
                    .as_ref()
                    .and_then(|f| f.first())
                    .map(|f| f.uri.clone())
                    .or(p.root_uri);
                self.ws.root = root.and_then(|u| path_of(&u).ok());
                json(serde_json::to_value(lt::InitializeResult {
                    capabilities: capabilities(),
                    server_info: Some(lt::ServerInfo {
                        name: "rulesel".to_string(),
                        version: Some(env!("CARGO_PKG_VERSION").to_string()),
                    }),
                }))
            }
            "shutdown" => {
                self.shut_down = true;
                Ok(Value::Null)
            }
            "textDocument/hover" => {
                let p: lt::HoverParams = params(req.params)?;
                json(serde_json::to_value(
                    self.hover(p.text_document_position_params)?,
                ))
            }
            "textDocument/definition" => {
                let p: lt::GotoDefinitionParams = params(req.params)?;
                let (snap, ix, found) = self.find(&p.text_document_position_params)?;
                let locs: Vec<lt::Location> = match found {
                    Some((name, kind)) => ix
                        .all(&name, kind)
                        .filter(|o| o.def)
                        .filter_map(|o| snap.location(o.span))
                        .collect(),
                    None => Vec::new(),
                };
                json(serde_json::to_value(locs))
            }
            "textDocument/references" => {
                let p: lt::ReferenceParams = params(req.params)?;
                let (snap, ix, found) = self.find(&p.text_document_position)?;
                let locs: Vec<lt::Location> = match found {
                    Some((name, kind)) => ix
                        .all(&name, kind)
                        .filter(|o| p.context.include_declaration || !o.def)
                        .filter_map(|o| snap.location(o.span))
                        .collect(),
                    None => Vec::new(),
                };
                json(serde_json::to_value(locs))
            }
            "textDocument/completion" => {
                let p: lt::CompletionParams = params(req.params)?;
                let (_, ix, _) = self.find(&p.text_document_position)?;
                json(serde_json::to_value(completions(&ix)))
            }
            "textDocument/documentSymbol" => {
                let p: lt::DocumentSymbolParams = params(req.params)?;
                let path = self.known(&p.text_document.uri)?;
                let (snap, ix) = self.index(Some(&path));
                let file = snap.file_of(&path);
                let syms: Vec<lt::SymbolInformation> = ix
                    .symbols
                    .iter()
                    .filter(|s| Some(s.span.file) == file)
                    .filter_map(|s| symbol_info(&snap, s))
                    .collect();
                json(serde_json::to_value(syms))
            }
            "workspace/symbol" => {
                let p: lt::WorkspaceSymbolParams = params(req.params)?;
                let (snap, ix) = self.index(None);
                let q = p.query.to_lowercase();
                let syms: Vec<lt::SymbolInformation> = ix
                    .symbols
                    .iter()
                    .filter(|s| s.what != SymbolWhat::Rule && s.name.to_lowercase().contains(&q))
                    .filter_map(|s| symbol_info(&snap, s))
                    .collect();
                json(serde_json::to_value(syms))
            }
            "textDocument/rename" => {
                let p: lt::RenameParams = params(req.params)?;
                json(serde_json::to_value(self.rename(p)?))
            }
            m => Err((ErrorCode::MethodNotFound, format!("unknown method `{m}`"))),
        }
    }

    fn notification(&mut self, n: Notification) -> Vec<Message> {
        let path = |v: &Value| {
            serde_json::from_value::<lt::TextDocumentIdentifier>(v["textDocument"].clone())
                .ok()
                .and_then(|d| path_of(&d.uri).ok())
        };
        match n.method.as_str() {
            "textDocument/didOpen" => {
                let Ok(p) = serde_json::from_value::<lt::DidOpenTextDocumentParams>(n.params)
                else {
                    return Vec::new();
                };
                if let Ok(path) = path_of(&p.text_document.uri) {
                    self.ws.open.insert(path, p.text_document.text);
                }
            }
            "textDocument/didChange" => {
                let Ok(p) = serde_json::from_value::<lt::DidChangeTextDocumentParams>(n.params)
                else {
                    return Vec::new();
                };
                // Full synchronisation: the last change is the whole text.
                if let (Ok(path), Some(change)) = (
                    path_of(&p.text_document.uri),
                    p.content_changes.into_iter().last(),
                ) {
                    self.ws.open.insert(path, change.text);
                }
            }
            "textDocument/didClose" => {
                if let Some(p) = path(&n.params) {
                    self.ws.open.remove(&p);
                }
            }
            "textDocument/didSave" => {}
            _ => return Vec::new(),
        }
        self.diagnostics()
    }

    /// Checks the program and publishes the findings of every one of its files (an empty list
    /// clears what an earlier check published).
    fn diagnostics(&self) -> Vec<Message> {
        let snap = self.ws.snapshot(None);
        let findings = match dsl::compile(snap.sources.clone(), lower_env()) {
            Ok(prog) => prog.warnings,
            Err(e) => e.diagnostics,
        };
        let mut by_file: HashMap<PathBuf, Vec<lt::Diagnostic>> = snap
            .paths
            .iter()
            .flatten()
            .map(|p| (p.clone(), Vec::new()))
            .collect();
        for d in &findings {
            let Some(path) = snap.path(d.span.file) else {
                continue;
            };
            let related: Vec<lt::DiagnosticRelatedInformation> = d
                .notes
                .iter()
                .filter_map(|(span, note)| {
                    Some(lt::DiagnosticRelatedInformation {
                        location: snap.location(*span)?,
                        message: note.clone(),
                    })
                })
                .collect();
            by_file
                .entry(path.to_path_buf())
                .or_default()
                .push(lt::Diagnostic {
                    range: snap.range(d.span),
                    severity: Some(match d.severity {
                        Severity::Error => lt::DiagnosticSeverity::ERROR,
                        Severity::Warning => lt::DiagnosticSeverity::WARNING,
                    }),
                    source: Some("rulesel".to_string()),
                    message: d.message.clone(),
                    related_information: (!related.is_empty()).then_some(related),
                    ..lt::Diagnostic::default()
                });
        }
        for (path, why) in &snap.unreadable {
            by_file
                .entry(path.clone())
                .or_default()
                .push(lt::Diagnostic {
                    severity: Some(lt::DiagnosticSeverity::ERROR),
                    source: Some("rulesel".to_string()),
                    message: why.clone(),
                    ..lt::Diagnostic::default()
                });
        }
        let mut files: Vec<_> = by_file.into_iter().collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        files
            .into_iter()
            .map(|(path, diagnostics)| {
                let params = lt::PublishDiagnosticsParams {
                    uri: uri_of(&path),
                    diagnostics,
                    version: None,
                };
                Message::Notification(Notification::new(
                    "textDocument/publishDiagnostics".to_string(),
                    params,
                ))
            })
            .collect()
    }

    /// The path of `uri` if the server can read it: an open buffer, or a UTF-8 file on disk.
    fn known(&self, uri: &lt::Uri) -> Result<PathBuf, Failure> {
        let path = path_of(uri).map_err(|e| (ErrorCode::InvalidParams, e))?;
        if self.ws.open.contains_key(&path) {
            return Ok(path);
        }
        match std::fs::read(&path) {
            Ok(bytes) if std::str::from_utf8(&bytes).is_ok() => Ok(path),
            Ok(_) => Err((
                ErrorCode::InvalidParams,
                format!("{}: the file is not UTF-8 text", path.display()),
            )),
            Err(_) => Err((
                ErrorCode::InvalidParams,
                format!("unknown file: {}", uri.as_str()),
            )),
        }
    }

    fn index(&self, extra: Option<&std::path::Path>) -> (Snapshot, Index) {
        let snap = self.ws.snapshot(extra);
        let ix = Index::build(&snap.sources, &lower_env());
        (snap, ix)
    }

    /// The snapshot, the index, and the name (term or type) at a position.
    #[allow(clippy::type_complexity)]
    fn find(
        &self,
        at: &lt::TextDocumentPositionParams,
    ) -> Result<(Snapshot, Index, Option<(String, Kind)>), Failure> {
        let path = self.known(&at.text_document.uri)?;
        let (snap, ix) = self.index(Some(&path));
        let file = snap.file_of(&path).ok_or((
            ErrorCode::InvalidParams,
            format!("{} is not a rules file of the workspace", path.display()),
        ))?;
        let byte = offset(snap.sources.text(file), at.position) as u32;
        let found = match ix.at(file, byte) {
            Some(Found::Name(o)) => Some((o.name.clone(), o.kind)),
            _ => None,
        };
        Ok((snap, ix, found))
    }

    fn hover(&self, at: lt::TextDocumentPositionParams) -> Result<Option<lt::Hover>, Failure> {
        let path = self.known(&at.text_document.uri)?;
        let (snap, ix) = self.index(Some(&path));
        let Some(file) = snap.file_of(&path) else {
            return Ok(None);
        };
        let byte = offset(snap.sources.text(file), at.position) as u32;
        let form = |span: dsl::Span| {
            snap.sources.text(span.file)[span.lo as usize..span.hi as usize].to_string()
        };
        let (text, span) = match ix.at(file, byte) {
            None => return Ok(None),
            Some(Found::Variable(v)) => (
                match &v.ty {
                    Some(t) => format!("`{}`: `{t}`", v.name),
                    None => format!("`{}`", v.name),
                },
                v.span,
            ),
            Some(Found::Name(o)) if o.kind == Kind::Type => {
                let def = ix.types.get(&o.name).map(|&s| form(s));
                (
                    match def {
                        Some(d) => format!("```\n{d}\n```"),
                        None => format!("type `{}` (not defined)", o.name),
                    },
                    o.span,
                )
            }
            Some(Found::Name(o)) => {
                let Some(sig) = ix.signatures.get(&o.name) else {
                    return Ok(Some(hover(
                        format!("`{}`: unknown term", o.name),
                        snap.range(o.span),
                    )));
                };
                let mut text = format!(
                    "```\n({} ({}) {})\n```",
                    o.name,
                    sig.args.join(" "),
                    sig.ret
                );
                if let Some(f) = sig.form {
                    text = format!("```\n{}\n```", form(f));
                }
                if let Some(h) = &sig.host {
                    text.push_str(&format!(
                        "\n\n`({} ({}) {})`: {h}",
                        o.name,
                        sig.args.join(" "),
                        sig.ret
                    ));
                }
                for e in &sig.externs {
                    text.push_str(&format!("\n\n{e}"));
                }
                (text, o.span)
            }
        };
        Ok(Some(hover(text, snap.range(span))))
    }

    // `WorkspaceEdit` keys its changes by `Uri`, whose lazily filled parse cache clippy takes
    // for mutability; its hash and equality are those of the text.
    #[allow(clippy::mutable_key_type)]
    fn rename(&self, p: lt::RenameParams) -> Result<lt::WorkspaceEdit, Failure> {
        let (snap, ix, found) = self.find(&p.text_document_position)?;
        let invalid = |m: String| (ErrorCode::InvalidParams, m);
        let Some((name, Kind::Term)) = found else {
            return Err(invalid(
                "only terms can be renamed; there is no term here".to_string(),
            ));
        };
        if name.contains('.') || !ix.all(&name, Kind::Term).any(|o| o.def) {
            return Err(invalid(format!(
                "`{name}` is not declared in the rule files and cannot be renamed"
            )));
        }
        let new = &p.new_name;
        let valid = new
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && new
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-<>=!?+*/".contains(c))
            && !KEYWORDS.contains(&new.as_str());
        if !valid {
            return Err(invalid(format!("`{new}` is not a term name")));
        }
        if ix.signatures.contains_key(new) {
            return Err(invalid(format!("a term named `{new}` exists already")));
        }
        let mut changes: HashMap<lt::Uri, Vec<lt::TextEdit>> = HashMap::new();
        for o in ix.all(&name, Kind::Term) {
            if let Some(loc) = snap.location(o.span) {
                changes.entry(loc.uri).or_default().push(lt::TextEdit {
                    range: loc.range,
                    new_text: new.clone(),
                });
            }
        }
        Ok(lt::WorkspaceEdit {
            changes: Some(changes),
            ..lt::WorkspaceEdit::default()
        })
    }
}

/// Words the lexer keeps for itself.
const KEYWORDS: [&str; 14] = [
    "type",
    "primitive",
    "enum",
    "decl",
    "partial",
    "multi",
    "extern",
    "constructor",
    "extractor",
    "const",
    "rule",
    "if-let",
    "if",
    "let",
];

fn hover(text: String, range: lt::Range) -> lt::Hover {
    lt::Hover {
        contents: lt::HoverContents::Markup(lt::MarkupContent {
            kind: lt::MarkupKind::Markdown,
            value: text,
        }),
        range: Some(range),
    }
}

fn capabilities() -> lt::ServerCapabilities {
    lt::ServerCapabilities {
        text_document_sync: Some(lt::TextDocumentSyncCapability::Kind(
            lt::TextDocumentSyncKind::FULL,
        )),
        hover_provider: Some(lt::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lt::OneOf::Left(true)),
        references_provider: Some(lt::OneOf::Left(true)),
        completion_provider: Some(lt::CompletionOptions {
            trigger_characters: Some(vec!["(".to_string(), ".".to_string()]),
            ..lt::CompletionOptions::default()
        }),
        document_symbol_provider: Some(lt::OneOf::Left(true)),
        workspace_symbol_provider: Some(lt::OneOf::Left(true)),
        rename_provider: Some(lt::OneOf::Left(true)),
        ..lt::ServerCapabilities::default()
    }
}

/// Every term, enum variants among them, with its arity and signature.
fn completions(ix: &Index) -> Vec<lt::CompletionItem> {
    ix.signatures
        .iter()
        .map(|(name, sig)| {
            let n = sig.args.len();
            lt::CompletionItem {
                label: name.clone(),
                kind: Some(if name.contains('.') {
                    lt::CompletionItemKind::ENUM_MEMBER
                } else {
                    lt::CompletionItemKind::FUNCTION
                }),
                detail: Some(format!(
                    "{n} argument{}: ({}) {}",
                    if n == 1 { "" } else { "s" },
                    sig.args.join(" "),
                    sig.ret
                )),
                ..lt::CompletionItem::default()
            }
        })
        .collect()
}

#[allow(deprecated)]
fn symbol_info(snap: &Snapshot, s: &index::Symbol) -> Option<lt::SymbolInformation> {
    Some(lt::SymbolInformation {
        name: s.name.clone(),
        kind: match s.what {
            SymbolWhat::Type => lt::SymbolKind::STRUCT,
            SymbolWhat::Term => lt::SymbolKind::FUNCTION,
            SymbolWhat::Constant => lt::SymbolKind::CONSTANT,
            SymbolWhat::Rule => lt::SymbolKind::METHOD,
        },
        tags: None,
        deprecated: None,
        location: snap.location(s.span)?,
        container_name: None,
    })
}

/// The `rulesel lsp` command: serves on stdin and stdout.
pub fn command() -> std::process::ExitCode {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut output = std::io::stdout().lock();
    match serve(&mut input, &mut output) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("rulesel lsp: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
