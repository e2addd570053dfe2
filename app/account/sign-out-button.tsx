'use client';

export function SignOutButton() {
  return (
    <button
      type="button"
      className="rounded-md px-3 py-1.5 text-zinc-600 hover:bg-zinc-200/70 dark:text-zinc-400 dark:hover:bg-zinc-800"
      onClick={async () => {
        await fetch('/api/auth/sign-out', { method: 'POST' });
        window.location.assign('/sign-in');
      }}
    >
      Sign out
    </button>
  );
}
