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
          <span className="truncate">{name}</span>
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
