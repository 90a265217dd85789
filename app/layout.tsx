import type { ReactNode } from "react";
import "./globals.css";

export const metadata = { title: "Gatehouse", description: "Access gateway for AI agents in front of production data" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="top">
          <strong>Gatehouse</strong>
          <span className="muted">console preview</span>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
