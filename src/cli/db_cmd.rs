//! `patrolmap db`: the scenario store from the command line: list what it holds, back it up
//! while the server runs, restore a backup.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;

use crate::store::Store;

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// List the scenarios and their latest versions.
    List {
        /// The store: an SQLite file or a postgres:// address.
        #[arg(long)]
        db: PathBuf,
    },
    /// Copy the whole store to FILE (safe while the server runs: SQLite's online backup).
    Backup {
        /// The store file.
        #[arg(long)]
        db: PathBuf,
        /// Where the copy goes.
        file: PathBuf,
    },
    /// Replace the whole store with the backup FILE: checked first to be a patrolmap store
    /// (read-only, never written), the current store kept beside it as
    /// DB.before-restore-TIME.
    Restore {
        /// The store file.
        #[arg(long)]
        db: PathBuf,
        /// The backup.
        file: PathBuf,
    },
}

pub fn run(cmd: DbCommand) -> Result<()> {
    match cmd {
        DbCommand::List { db } => {
            let store = open_existing(&db)?;
            for v in store.scenarios()? {
                println!(
                    "{}\tversion {}\t{}\t{}",
                    v.scenario, v.id, v.author, v.message
                );
            }
        }
        DbCommand::Backup { db, file } => {
            let store = open_existing(&db)?;
            store.backup(&file)?;
            println!(
                "backed up {} versions to {}",
                store.versions_count()?,
                file.display()
            );
        }
        DbCommand::Restore { db, file } => {
            if !file.is_file() {
                anyhow::bail!("{}: no such backup file", file.display());
            }
            let store = open_location(&db)?;
            let kept = store
                .restore(&file)
                .with_context(|| format!("cannot restore {}", file.display()))?;
            println!(
                "restored {} versions from {}; the store as it was is kept in {}",
                store.versions_count()?,
                file.display(),
                kept.display()
            );
        }
    }
    Ok(())
}

/// The store at `db`: an SQLite file or a `postgres://` address.
pub(super) fn open_location(db: &std::path::Path) -> Result<Store> {
    let location = db
        .to_str()
        .with_context(|| format!("{}: not a UTF-8 path", db.display()))?;
    Store::open_location(location).with_context(|| {
        format!(
            "cannot open the store {}",
            crate::store::without_password(location)
        )
    })
}

/// The store at `db`, which must exist (a typo should not create an empty SQLite store).
pub(super) fn open_existing(db: &std::path::Path) -> Result<Store> {
    let postgres = db.to_str().is_some_and(|l| l.starts_with("postgres"));
    if !postgres && !db.is_file() {
        anyhow::bail!("{}: no such store", db.display());
    }
    open_location(db)
}
