// Signing in to the command map, and the admin's panel. The server checks a token once and
// sets an HttpOnly cookie (POST /api/session), which the browser then sends with every request,
// the map's tiles included; the page never keeps the token itself. A sign-in link
// (`/#token=…`, printed by the server's first start) signs in and drops the token from the
// address bar. The page shows only what the signed-in role may do: a viewer (a wall display)
// gets the map, a planner the editing tools, an admin also the users and the audit log.
import { t } from '/i18n.js';
import { auditAction } from '/format.js';
import { request, getJson, sendJson } from '/api.js';
import { h } from '/dom.js';

const $ = (id) => document.getElementById(id);
async function postSession(token) {
  try {
    return { session: await sendJson('/api/session', { token }) };
  } catch (e) {
    return { error: e.message };
  }
}

/** Shows the sign-in form until a token is accepted; the session it opened. */
function askForToken(message) {
  $('signin').hidden = false;
  $('signin-error').textContent = message ?? '';
  $('signin-token').focus();
  return new Promise((resolve) => {
    $('signin-form').addEventListener('submit', async function submit(ev) {
      ev.preventDefault();
      const { session, error } = await postSession($('signin-token').value.trim());
      if (!session) {
        $('signin-error').textContent = t('signin_refused', { msg: error });
        return;
      }
      $('signin-form').removeEventListener('submit', submit);
      $('signin').hidden = true;
      $('signin-token').value = '';
      resolve(session);
    });
  });
}

// A sign-in link pasted over the open page changes only its hash: start again with it.
window.addEventListener('hashchange', () => {
  if (new URLSearchParams(location.hash.slice(1)).has('token')) location.reload();
});

/** The signed-in session ({user, role}; role `public` in the public view), signing in first if
 * need be. */
export async function ensureSession() {
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.has('token')) {
    // Out of the address bar and the history before anything else.
    history.replaceState(null, '', location.pathname + location.search);
    const { session, error } = await postSession(hash.get('token'));
    if (session) return session;
    return askForToken(t('signin_refused', { msg: error }));
  }
  try {
    return await getJson('/api/session');
  } catch {
    return askForToken();
  }
}

/** Shows who is signed in and lets only what their role may do show. */
export function showSession(session) {
  document.body.dataset.role = session.role;
  $('who').textContent = session.user ? t('signed_in_as', { user: session.user, role: t(`role_${session.role}`) }) : t('role_public');
  $('sign-out').hidden = !session.user;
  $('sign-in').hidden = Boolean(session.user);
}

/** Wires sign-out, sign-in from the public view, and (for admins) the users and audit panel. */
export function wireAccess(app) {
  const { state } = app;
  $('sign-out').addEventListener('click', async () => {
    await request('/api/session', { method: 'DELETE' }).catch(() => {});
    location.reload();
  });
  $('sign-in').addEventListener('click', async () => {
    await askForToken();
    location.reload();
  });
  if (state.session.role !== 'admin') return;
  const showUsers = async () => {
    const users = await getJson('/api/users');
    const list = $('user-list');
    list.replaceChildren();
    for (const u of users) {
      const li = h('li', {}, h('span', {}, `${u.name} · ${t(`role_${u.role}`)} · ${t('tokens_live', { n: u.tokens })}`));
      if (u.name !== state.session.user) {
        const remove = document.createElement('button');
        remove.className = 'danger';
        remove.textContent = t('remove');
        remove.addEventListener('click', async () => {
          if (!confirm(t('confirm_remove_user', { name: u.name }))) return;
          try {
            await request(`/api/users/${encodeURIComponent(u.name)}`, { method: 'DELETE' });
          } catch (e) {
            $('new-token').textContent = t('error', { msg: e.message });
          }
          await Promise.all([showUsers(), showAudit()]);
        });
        li.append(remove);
      }
      list.append(li);
    }
  };
  const showAudit = async () => {
    const entries = await getJson('/api/audit?limit=30');
    const table = $('audit');
    table.replaceChildren();
    for (const e of entries) {
      const tr = document.createElement('tr');
      const when = new Date(e.at * 1000).toLocaleString();
      for (const text of [when, e.actor, auditAction(e.action), e.target, e.remote]) {
        const td = document.createElement('td');
        td.textContent = String(text);
        tr.append(td);
      }
      table.append(tr);
    }
  };
  $('user-add').addEventListener('click', async () => {
    $('new-token').textContent = '';
    try {
      const r = await sendJson('/api/users', { name: $('user-name').value.trim(), role: $('user-role').value });
      $('new-token').textContent = t('new_token', { user: r.user, token: r.token });
      $('user-name').value = '';
    } catch (e) {
      $('new-token').textContent = t('error', { msg: e.message });
    }
    await Promise.all([showUsers(), showAudit()]);
  });
  state.refreshAudit = showAudit;
  showUsers();
  showAudit();
}
