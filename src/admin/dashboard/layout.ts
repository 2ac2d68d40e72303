import { html, type Html } from './html.js';

/** The page around every view; `csrf` (signed in) adds the sign-out button. */
export function layout(title: string, content: Html, csrf?: string): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · payrelay</title>
<link rel="stylesheet" href="/admin/style.css">
</head>
<body>
<header>
  <a class="brand" href="/admin">payrelay <span>admin</span></a>
  ${
    csrf
      ? html`<form method="post" action="/admin/logout" class="signout">
    <input type="hidden" name="csrf" value="${csrf}"><button type="submit" class="link">Sign out</button>
  </form>`
      : ''
  }
</header>
<main>
${content}
</main>
</body>
</html>`;
}

export function signInPage(problem?: string): Html {
  return layout(
    'Sign in',
    html`<section class="signin">
  <h1>Sign in</h1>
  <p>Enter the admin token (<code>ADMIN_TOKEN</code>).</p>
  ${problem ? html`<p class="problem" role="alert">${problem}</p>` : ''}
  <form method="post" action="/admin/login">
    <label for="token">Admin token</label>
    <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
    <button type="submit">Sign in</button>
  </form>
</section>`,
  );
}
