'use client';

import { usePathname } from 'next/navigation';
import { Button } from '../_components/ui/button';
import { Menu, MenuItem, MenuLabel, MenuLink, MenuSeparator } from '../_components/ui/menu';

/** The header's right side: who is signed in, in a menu with the pages their role opens and sign-out. */
export function UserMenu({ name, role, admin }: { name: string; role: string; admin: boolean }) {
  const pathname = usePathname();
  const link = (href: string, label: string) => (
    <MenuLink href={href} current={pathname === href}>
      {label}
    </MenuLink>
  );
  return (
    <Menu
      label={`Account menu of ${name}`}
      trigger={
        <Button variant="ghost" className="max-w-40">
          {/* On a phone the name would push the lookup box over it: a person icon says "account". */}
          <svg aria-hidden viewBox="0 0 16 16" className="h-4 w-4 shrink-0 sm:hidden" fill="currentColor">
            <path d="M8 8a3 3 0 1 0 0-6 3 3 0 0 0 0 6zm-5.5 6c0-2.5 2.5-4.5 5.5-4.5s5.5 2 5.5 4.5z" />
          </svg>
          <span className="hidden truncate sm:inline">{name}</span>
          <svg aria-hidden viewBox="0 0 16 16" className="h-3 w-3 shrink-0" fill="currentColor">
            <path d="M4 6l4 4 4-4z" />
          </svg>
        </Button>
      }
    >
      <MenuLabel>
        Signed in as {name} ({role})
      </MenuLabel>
      <MenuSeparator />
      {link('/account', 'Account')}
      {link('/audit', 'Audit log')}
      {admin && link('/admin/users', 'Users')}
      {admin && link('/admin/api-keys', 'API keys')}
      {link('/api-docs', 'HTTP API')}
      <MenuSeparator />
      <MenuItem
        onSelect={async () => {
          await fetch('/api/auth/sign-out', { method: 'POST' });
          window.location.assign('/sign-in');
        }}
      >
        Sign out
      </MenuItem>
    </Menu>
  );
}
