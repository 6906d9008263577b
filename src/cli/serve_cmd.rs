//! `patrolmap serve`: the command map in a browser.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;

use super::network_cmd::{
    load_road_files, read_speeds, road_files, stem, warn_unnamed_speeds, ProfileArgs,
};
use crate::coverage::{assess, ResponseStandard};
use crate::network::TravelMode;
use crate::scenario;
use crate::server::auth::Auth;
use crate::server::{self, AppState, City, ServeOptions, WebFiles};
use crate::store::{Actor, Role};

/// Arguments of `patrolmap serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Road file: .osm.pbf or GeoJSON roads; repeat it, or give a folder of them, to serve
    /// several cities as one province (the map then lists each city's tiers) [default: the
    /// bundled demo city].
    #[arg(long)]
    roads: Vec<PathBuf>,
    /// Scenario: GeoJSON or CSV [default: the bundled demo deployment when the roads are the
    /// demo city's, else an empty scenario].
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// The map's offline basemap: an .mbtiles or .pmtiles archive of vector tiles in the
    /// OpenMapTiles schema (as planetiler, tilemaker or GDAL make them) [default: made from the
    /// road file when it is .osm.pbf: water, green areas, land use, railways, buildings, place
    /// and street names].
    #[arg(long)]
    basemap: Option<PathBuf>,
    /// Address to listen on. Loopback by default; elsewhere, use --tls-cert or a reverse proxy
    /// with TLS, or the tokens cross the network in the clear.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Serve the loaded scenario's map read-only to anyone without a token (a wall display);
    /// saved scenarios and every change still need a signed-in user.
    #[arg(long)]
    public_view: bool,
    /// Live operations: alert when a tier's share of the road, with the units where they are
    /// now, falls below this percentage of the plan's (checkpoints and key sites the plan
    /// meets alert whenever the live units do not).
    #[arg(long, default_value_t = 90.0, value_parser = percentage)]
    alert_below: f64,
    /// Speak HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// The web view's folder (with node_modules/maplibre-gl from `npm ci --prefix web`).
    #[arg(long)]
    web: Option<PathBuf>,
    /// Budgets the map colours roads by, in seconds.
    #[arg(long, value_delimiter = ',', default_value = "60,180,300")]
    budgets: Vec<f64>,
    /// The response standard, BUDGET_S:UNITS[:CLASS|CLASS],… [default: 60:1,180:2,300:3].
    #[arg(long)]
    standard: Option<ResponseStandard>,
    /// TOML file overriding profile speeds and road classes.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Measured car speeds by time of day (CSV: osm_way_id or edge_id, direction, time,
    /// speed_kph; see the README): the map then measures coverage at a chosen hour and
    /// charts each tier's share by hour [default: the demo city's made-up speeds with the
    /// demo city, else none].
    #[arg(long)]
    speeds: Option<PathBuf>,
    /// The scenario store, users and audit log: an SQLite file, or PostgreSQL with PostGIS
    /// (postgres://user:password@host/db) for several servers sharing one store [default:
    /// patrolmap.db next to the road file].
    #[arg(long)]
    db: Option<PathBuf>,
    /// A reverse proxy in front of this server (its address, e.g. 127.0.0.1 for nginx on this
    /// machine; repeat or separate with commas): for requests it forwards, the client's address
    /// for the audit log and the failure limits is taken from its X-Forwarded-For. Never
    /// trusted from anyone else.
    #[arg(long, value_delimiter = ',')]
    trusted_proxy: Vec<std::net::IpAddr>,
    /// Stop when standard input closes (for tests and supervisors that own the process).
    #[arg(long, hide = true)]
    exit_on_stdin_close: bool,
}

/// A bundled file: relative to the working directory, else to the source tree it was built
/// from (so `cargo run -- serve` works from anywhere in a checkout).
fn bundled(relative: &str) -> PathBuf {
    let here = PathBuf::from(relative);
    if here.exists() {
        return here;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

pub fn run(args: ServeArgs) -> Result<()> {
    // A server outlives whoever reads its first lines: a closed stdout must not end it, as
    // SIGPIPE's default action (set for the other commands in main) would.
    #[cfg(unix)]
    // SAFETY: setting a signal's action before the server's threads start.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    if args.budgets.is_empty() || args.budgets.iter().any(|b| !(b.is_finite() && *b > 0.0)) {
        bail!("--budgets: every budget must be a positive number of seconds");
    }
    let web_root = args.web.clone().unwrap_or_else(|| bundled("web"));
    let web = WebFiles {
        maplibre: web_root.join("node_modules/maplibre-gl/dist"),
        cjk_font: web_root.join("node_modules/@fontsource-variable/noto-sans-sc"),
        root: web_root.clone(),
    };
    if !web.root.join("index.html").is_file() {
        bail!(
            "{}: no index.html: pass --web with the web view's folder",
            web.root.display()
        );
    }
    if !web.maplibre.join("maplibre-gl.mjs").is_file() {
        // The API works without it; the page does not.
        eprintln!(
            "warning: {}: MapLibre GL JS is missing, so the map page will not load: run `npm ci --prefix {}`",
            web.maplibre.display(),
            web.root.display()
        );
    }
    // Checked before the city is prepared: a wrong file should not cost a minute.
    let offline_basemap = match &args.basemap {
        Some(path) => {
            let file =
                crate::basemap::BasemapSource::open(path).context("cannot use the --basemap")?;
            eprintln!("basemap: {}", path.display());
            Some(file)
        }
        None => None,
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(server::tls::acceptor(cert, key)?),
        _ => None,
    };
    let demo = args.roads.is_empty();
    let road_files = if demo {
        vec![bundled("data/campo-grande.osm.pbf")]
    } else {
        road_files(&args.roads)?
    };
    let roads_path = road_files[0].clone();
    // The store is opened (and refused when it is not one) before the city is prepared.
    let db = args
        .db
        .clone()
        .unwrap_or_else(|| roads_path.with_file_name("patrolmap.db"));
    let location = db.to_string_lossy();
    let store = crate::store::Store::open_location(&location).with_context(|| {
        format!(
            "cannot open the scenario store {} (set another with --db)",
            crate::store::without_password(&location)
        )
    })?;
    eprintln!("scenarios are kept in {}", store.place());
    let profile_args = ProfileArgs {
        profile: TravelMode::Car,
        config: args.config.clone(),
    };
    let profiles = profile_args.profiles()?;
    let loaded = load_road_files(&road_files, &profiles, TravelMode::Car)?;
    let scenario_path = args
        .scenario
        .clone()
        .or_else(|| demo.then(|| bundled("data/demo-scenario.geojson")));
    let scenario = match &scenario_path {
        Some(path) => crate::files::load_scenario(path)?,
        None => scenario::Scenario::default(),
    };
    for p in &scenario.problems {
        eprintln!(
            "warning: {}: feature {}: {}",
            scenario_path.as_deref().unwrap_or(Path::new("-")).display(),
            p.feature,
            p.reason
        );
    }
    let options = assess::Options {
        budgets_s: args.budgets.clone(),
        standard: args.standard.clone().unwrap_or_default(),
        // Found when the map shows them, not on every what-if.
        gaps: false,
        ..assess::Options::default()
    };
    // One file is a city; several are a province, named by their folder when given one.
    let name = match (args.roads.as_slice(), loaded.cities.len()) {
        (_, 0) => stem(&roads_path),
        ([folder], _) if folder.is_dir() => stem(folder),
        _ => (loaded.cities.iter())
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(" + "),
    };
    let (network, cities) = (loaded.roads.network, loaded.cities);
    // Read before the long preparation, so that a bad file is told at once.
    let speeds_path = (args.speeds.clone())
        .or_else(|| demo.then(|| bundled("data/demo-speeds.csv")))
        .filter(|p| args.speeds.is_some() || p.exists());
    let speeds = speeds_path.as_deref().map(read_speeds).transpose()?;
    let start = Instant::now();
    eprintln!("preparing {name} for car, e-bike and foot (graphs, hierarchies, tile index)…");
    // The basemap is read from the OSM file while the city is prepared.
    let (city, basemap) = std::thread::scope(|scope| {
        let made = offline_basemap.is_none().then(|| {
            scope.spawn(|| {
                let pbf: Vec<&PathBuf> = road_files
                    .iter()
                    .filter(|f| f.to_string_lossy().ends_with(".pbf"))
                    .collect();
                (!pbf.is_empty()).then(|| {
                    let mut all = Vec::new();
                    for f in pbf {
                        all.extend(crate::network::map_features::read_pbf(f)?);
                    }
                    Ok::<_, crate::network::NetworkError>(all)
                })
            })
        });
        let city = City::prepare(name, network, profiles, options);
        let city = if cities.is_empty() {
            city
        } else {
            city.with_cities(cities)
        };
        let city = match speeds {
            Some((table, source)) => {
                let city = city.with_traffic(table, &source);
                let info = city.info().speeds.expect("served with speeds");
                eprintln!(
                    "speeds by time of day from {source}: {} rows, {} of {} road edges named, periods from {}",
                    info.rows,
                    info.edges_named,
                    city.network.edges.len(),
                    info.period_starts.join(", ")
                );
                let roads = road_files.iter().map(|f| f.display().to_string());
                let roads = roads.collect::<Vec<_>>().join(", ");
                warn_unnamed_speeds(&source, info.edges_named, &roads);
                city
            }
            None => city,
        };
        let made = made.map(|h| h.join().expect("the basemap reader does not panic"));
        (city, made)
    });
    use crate::basemap::BasemapSource;
    let basemap = match (offline_basemap, basemap) {
        (Some(file), _) => file,
        (None, Some(Some(Ok(features)))) => {
            let made = crate::tiles::basemap::Basemap::new(features);
            let counts: Vec<String> = made
                .counts()
                .iter()
                .map(|(layer, n)| format!("{} {n}", layer.name()))
                .collect();
            eprintln!(
                "basemap from {}: {}",
                if road_files.len() == 1 {
                    roads_path.display().to_string()
                } else {
                    format!("{} road files", road_files.len())
                },
                counts.join(", ")
            );
            BasemapSource::Made(made)
        }
        (None, Some(Some(Err(e)))) => {
            eprintln!("warning: no basemap: {e}");
            BasemapSource::none()
        }
        (None, _) => BasemapSource::none(),
    };
    let base = city.evaluate(scenario);
    eprintln!(
        "prepared in {:.1} s; the scenario's coverage took {:.1} ms",
        start.elapsed().as_secs_f64(),
        base.compute_s * 1e3
    );
    // A new store has nobody to sign in: its first admin is made and their token printed.
    let first_admin_token = if store.user_count()? == 0 {
        Some(store.add_user(&Actor::local("patrolmap serve"), "admin", Role::Admin, None)?)
    } else {
        None
    };
    let store = std::sync::Arc::new(store);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    // The store is followed for /api/events by a task of this runtime.
    let entered = runtime.enter();
    let state = AppState::new(city, base)
        .with_alert_level(args.alert_below / 100.0)
        .with_basemap(basemap)
        .with_store(store.clone())
        .with_auth(
            Auth::new(args.public_view, tls.is_some()).with_trusted_proxies(args.trusted_proxy),
        );
    drop(entered);
    runtime
        .block_on(server::serve(
            state,
            &web,
            args.addr,
            ServeOptions {
                stop_on_stdin_close: args.exit_on_stdin_close,
                first_admin_token,
                tls,
            },
        ))
        .with_context(|| format!("cannot serve on {}", args.addr))?;
    // The runtime is gone: the store (a PostgreSQL client runs its own) closes outside it.
    drop(runtime);
    drop(store);
    Ok(())
}

/// A percentage from 0 to 100.
fn percentage(text: &str) -> Result<f64, String> {
    let v: f64 = text
        .trim()
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("{text:?}: a percentage, e.g. 90"))?;
    if !(0.0..=100.0).contains(&v) {
        return Err(format!("{text:?}: a percentage from 0 to 100"));
    }
    Ok(v)
}
