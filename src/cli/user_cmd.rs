//! `patrolmap user` and `patrolmap audit`: the server's users, their tokens and the audit log,
//! from the command line of the machine that holds the store.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use super::db_cmd::{open_existing, open_location};
use crate::store::{audit_csv, utc_iso, Actor, Role};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user and print their first token (shown once: only its hash is kept).
    Add {
        /// The user's name.
        name: String,
        /// viewer (sees the map), planner (edits scenarios), admin (users, deletes) or feed
        /// (a GPS gateway: sends live positions, nothing else).
        #[arg(long)]
        role: Role,
        /// The token's lifetime, e.g. 30d, 12h, 90m [default: until revoked].
        #[arg(long, value_parser = parse_lifetime)]
        expires_in: Option<i64>,
        /// The store: an SQLite file (created when missing) or a postgres:// address.
        #[arg(long)]
        db: PathBuf,
    },
    /// Print a new token for a user (their other tokens stay valid).
    Token {
        /// The user's name.
        name: String,
        /// The token's lifetime, e.g. 30d, 12h, 90m [default: until revoked].
        #[arg(long, value_parser = parse_lifetime)]
        expires_in: Option<i64>,
        /// The store file.
        #[arg(long)]
        db: PathBuf,
    },
    /// List the users, their roles and live tokens.
    List {
        /// The store file.
        #[arg(long)]
        db: PathBuf,
    },
    /// Remove a user and every token of theirs.
    Remove {
        /// The user's name.
        name: String,
        /// The store file.
        #[arg(long)]
        db: PathBuf,
    },
}

/// Arguments of `patrolmap audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The store file.
    #[arg(long)]
    db: PathBuf,
    /// Write the whole log as CSV to this file (`-` for standard output).
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Show at most this many of the latest lines.
    #[arg(long, default_value_t = 50)]
    limit: i64,
}

/// `30d`, `12h`, `90m`, `45s` or plain seconds, as seconds.
fn parse_lifetime(text: &str) -> Result<i64, String> {
    let (number, unit) = match text.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&text[..i], c),
        _ => (text, 's'),
    };
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(format!("{text:?}: a number of s, m, h or d, e.g. 30d")),
    };
    match number.parse::<i64>() {
        Ok(n) if n > 0 => Ok(n * scale),
        _ => Err(format!(
            "{text:?}: a positive whole number of s, m, h or d, e.g. 30d"
        )),
    }
}

/// Who the command line writes into the audit log: the login name, at this machine.
fn operator() -> Actor {
    let name = std::env::var("USER").unwrap_or_else(|_| "operator".into());
    Actor::local(&format!("cli:{name}"))
}

pub fn run(cmd: UserCommand) -> Result<()> {
    match cmd {
        UserCommand::Add {
            name,
            role,
            expires_in,
            db,
        } => {
            let store = open_location(&db)?;
            let token = store
                .add_user(&operator(), &name, role, expires_in)
                .with_context(|| format!("cannot add user {name:?}"))?;
            eprintln!("added {name} ({role}); their token, shown once:");
            println!("{token}");
        }
        UserCommand::Token {
            name,
            expires_in,
            db,
        } => {
            let store = open_existing(&db)?;
            let token = store
                .issue_token(&operator(), &name, expires_in)
                .with_context(|| format!("cannot make a token for {name:?}"))?;
            println!("{token}");
        }
        UserCommand::List { db } => {
            for u in open_existing(&db)?.users()? {
                println!(
                    "{}\t{}\t{} live tokens\tadded {}",
                    u.name,
                    u.role,
                    u.tokens,
                    utc_iso(u.created_at)
                );
            }
        }
        UserCommand::Remove { name, db } => {
            open_existing(&db)?
                .remove_user(&operator(), &name)
                .with_context(|| format!("cannot remove {name:?}"))?;
            println!("removed {name} and their tokens");
        }
    }
    Ok(())
}

pub fn run_audit(args: AuditArgs) -> Result<()> {
    let store = open_existing(&args.db)?;
    match args.csv {
        Some(path) => {
            let mut all = store.audit_log(i64::MAX)?;
            all.reverse();
            let text = audit_csv(&all);
            if path.as_os_str() == "-" {
                print!("{text}");
            } else {
                std::fs::write(&path, text)
                    .with_context(|| format!("{}: cannot write", path.display()))?;
                eprintln!("wrote {} audit lines to {}", all.len(), path.display());
            }
        }
        None => {
            for e in store.audit_log(args.limit)?.iter().rev() {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    utc_iso(e.at),
                    e.actor,
                    e.remote,
                    e.action,
                    e.target,
                    e.detail
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_lifetime;

    #[test]
    fn lifetimes_read_with_their_unit() {
        assert_eq!(parse_lifetime("30d"), Ok(30 * 86_400));
        assert_eq!(parse_lifetime("90m"), Ok(5400));
        assert_eq!(parse_lifetime("2"), Ok(2));
        assert!(parse_lifetime("0h").is_err());
        assert!(parse_lifetime("3w").is_err());
        assert!(parse_lifetime("soon").is_err());
    }
}
