import { lazy, Suspense } from 'react';
import { ActivityPage } from './pages/Activity';
import { ClusterPage } from './pages/Cluster';
import { BrowserRouter, Link, Navigate, Outlet, Route, Routes, useLocation, useParams } from 'react-router-dom';
import { AuthProvider, useAuth } from './lib/auth';
import { ApiProvider } from './lib/client';
import { Layout } from './components/Layout';
import { Empty, Loading } from './components/States';
import { LoginPage } from './pages/Login';
import { InstancesPage } from './pages/Instances';
import { CreateInstancePage } from './pages/CreateInstance';
// The detail page carries the charting library: load it when first needed.
const InstanceDetailPage = lazy(() => import('./pages/InstanceDetail').then((m) => ({ default: m.InstanceDetailPage })));
import { OperationDetailPage, OperationsPage } from './pages/Operations';
import { ServersPage } from './pages/Servers';
import { ProvisionServerPage } from './pages/ProvisionServer';
import { RegisterServerPage } from './pages/RegisterServer';
import { ServerDetailPage } from './pages/ServerDetail';
import { ScalePage } from './pages/Scale';
import { ProjectsProvider } from './lib/projects';
import { SettingsLayout } from './components/SettingsLayout';
import { ProjectsPage } from './pages/Projects';
import { ProjectMembersPage } from './pages/ProjectMembers';
import { ApiTokensPage } from './pages/ApiTokens';
import { UsersPage } from './pages/Users';
import { SigningKeysPage } from './pages/SigningKeys';
import { AuditLogPage } from './pages/AuditLog';
import { AccountPage } from './pages/Account';

function RequireAuth() {
  const { session } = useAuth();
  const location = useLocation();
  if (!session) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return <Outlet />;
}

function NotFound() {
  return (
    <Empty title="Page not found">
      <p className="muted">There is nothing at this address.</p>
      <Link className="btn" to="/instances">
        Go to instances
      </Link>
    </Empty>
  );
}

/** `/projects/:id` is its members page. */
function ProjectIndex() {
  const { id } = useParams();
  return <Navigate to={`/projects/${id}/members`} replace />;
}

export function App() {
  return (
    <AuthProvider>
      <ApiProvider>
        <ProjectsProvider>
          <BrowserRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
            <Routes>
              <Route path="/login" element={<LoginPage />} />
              <Route element={<Layout />}>
                <Route element={<RequireAuth />}>
                  <Route index element={<Navigate to="/instances" replace />} />
                  <Route path="/instances" element={<InstancesPage />} />
                  <Route path="/instances/new" element={<CreateInstancePage />} />
                  <Route
                    path="/instances/:id"
                    element={
                      <Suspense fallback={<Loading what="Loading" />}>
                        <InstanceDetailPage />
                      </Suspense>
                    }
                  />
                  <Route path="/servers" element={<ServersPage />} />
                  <Route path="/servers/new" element={<ProvisionServerPage />} />
                  <Route path="/servers/register" element={<RegisterServerPage />} />
                  <Route path="/servers/scale" element={<ScalePage />} />
                  <Route path="/servers/:id" element={<ServerDetailPage />} />
                  <Route path="/operations" element={<OperationsPage />} />
                  <Route path="/operations/:id" element={<OperationDetailPage />} />
                  <Route path="/activity" element={<ActivityPage />} />
                  <Route path="/cluster" element={<ClusterPage />} />
                  <Route element={<SettingsLayout />}>
                    <Route path="/projects" element={<ProjectsPage />} />
                    <Route path="/projects/:id" element={<ProjectIndex />} />
                    <Route path="/projects/:id/members" element={<ProjectMembersPage />} />
                    <Route path="/projects/:id/tokens" element={<ApiTokensPage />} />
                    <Route path="/users" element={<UsersPage />} />
                    <Route path="/signing-keys" element={<SigningKeysPage />} />
                    <Route path="/audit" element={<AuditLogPage />} />
                    <Route path="/account" element={<AccountPage />} />
                  </Route>
                </Route>
                <Route path="*" element={<NotFound />} />
              </Route>
            </Routes>
          </BrowserRouter>
        </ProjectsProvider>
      </ApiProvider>
    </AuthProvider>
  );
}
